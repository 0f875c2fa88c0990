extension NetDefinition {
    /// A net that can be run and timed without its dataset: built with `options`, with
    /// every Data and ImageData layer replaced by DummyData of the shapes an
    /// inspect-only build gives it. Returns the names of the replaced layers.
    public func buildForTiming(options: NetBuildOptions) throws -> (net: Net, replaced: [String]) {
        var inspect = options
        inspect.inspectOnly = true
        let shapes = try NetBuilder.build(self, options: inspect)
        let (runnable, replaced) = replacingLayers(ofTypes: ["Data", "ImageData"], shapesFrom: shapes)
        var run = options
        run.inspectOnly = false
        return (try NetBuilder.build(runnable, options: run), replaced)
    }
}
