import CaffeProto

/// Caffe's NetStateRule logic: which layers belong to a net in a given state
/// (phase, level, stages).
public enum NetStateFilter {
    /// Whether `state` satisfies every condition of `rule`.
    public static func state(_ state: Caffe_NetState, meets rule: Caffe_NetStateRule) -> Bool {
        if rule.hasPhase, rule.phase != state.phase { return false }
        if rule.hasMinLevel, state.level < rule.minLevel { return false }
        if rule.hasMaxLevel, state.level > rule.maxLevel { return false }
        for stage in rule.stage where !state.stage.contains(stage) { return false }
        for stage in rule.notStage where state.stage.contains(stage) { return false }
        return true
    }

    /// A layer is kept if it has no include rules and no exclude rule matches, or if
    /// one of its include rules matches. Giving both kinds is an error, as in Caffe.
    public static func includes(_ layer: Caffe_LayerParameter, in state: Caffe_NetState) throws -> Bool {
        guard layer.include.isEmpty || layer.exclude.isEmpty else {
            throw SwiftCaffeError.invalid("include", "layer has both include and exclude rules",
                                          hint: "use only include rules or only exclude rules")
                .inLayer(layer.name, at: nil)
        }
        if !layer.include.isEmpty {
            return layer.include.contains { Self.state(state, meets: $0) }
        }
        return !layer.exclude.contains { Self.state(state, meets: $0) }
    }
}
