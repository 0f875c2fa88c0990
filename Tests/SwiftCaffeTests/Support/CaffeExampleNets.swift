import Foundation

/// Caffe's own example train_test nets as their files are written (examples/mnist,
/// examples/cifar10): Data layers reading LMDBs that a test machine does not have.
enum CaffeExampleNets {
    /// examples/mnist/lenet_train_test.prototxt: 431,080 learnable values
    /// (conv1 520, conv2 25,050, ip1 400,500, ip2 5,010).
    static let lenet = """
        name: "LeNet"
        layer {
          name: "mnist"
          type: "Data"
          top: "data"
          top: "label"
          include { phase: TRAIN }
          transform_param { scale: 0.00390625 }
          data_param { source: "examples/mnist/mnist_train_lmdb" batch_size: 64 backend: LMDB }
        }
        layer {
          name: "mnist"
          type: "Data"
          top: "data"
          top: "label"
          include { phase: TEST }
          transform_param { scale: 0.00390625 }
          data_param { source: "examples/mnist/mnist_test_lmdb" batch_size: 100 backend: LMDB }
        }
        \(convolution("conv1", bottom: "data", outputs: 20, kernel: 5))
        \(pooling("pool1", bottom: "conv1", "MAX", kernel: 2))
        \(convolution("conv2", bottom: "pool1", outputs: 50, kernel: 5))
        \(pooling("pool2", bottom: "conv2", "MAX", kernel: 2))
        \(innerProduct("ip1", bottom: "pool2", outputs: 500))
        layer { name: "relu1" type: "ReLU" bottom: "ip1" top: "ip1" }
        \(innerProduct("ip2", bottom: "ip1", outputs: 10))
        \(accuracyAndLoss(bottom: "ip2"))
        """

    /// examples/cifar10/cifar10_quick_train_test.prototxt: 145,578 learnable values
    /// (conv1 2,432, conv2 25,632, conv3 51,264, ip1 65,600, ip2 650).
    static let cifar10Quick = """
        name: "CIFAR10_quick"
        layer {
          name: "cifar"
          type: "Data"
          top: "data"
          top: "label"
          include { phase: TRAIN }
          transform_param { mean_file: "examples/cifar10/mean.binaryproto" }
          data_param { source: "examples/cifar10/cifar10_train_lmdb" batch_size: 100 backend: LMDB }
        }
        layer {
          name: "cifar"
          type: "Data"
          top: "data"
          top: "label"
          include { phase: TEST }
          transform_param { mean_file: "examples/cifar10/mean.binaryproto" }
          data_param { source: "examples/cifar10/cifar10_test_lmdb" batch_size: 100 backend: LMDB }
        }
        \(convolution("conv1", bottom: "data", outputs: 32, kernel: 5, pad: 2))
        \(pooling("pool1", bottom: "conv1", "MAX", kernel: 3, stride: 2))
        layer { name: "relu1" type: "ReLU" bottom: "pool1" top: "pool1" }
        \(convolution("conv2", bottom: "pool1", outputs: 32, kernel: 5, pad: 2))
        layer { name: "relu2" type: "ReLU" bottom: "conv2" top: "conv2" }
        \(pooling("pool2", bottom: "conv2", "AVE", kernel: 3, stride: 2))
        \(convolution("conv3", bottom: "pool2", outputs: 64, kernel: 5, pad: 2))
        layer { name: "relu3" type: "ReLU" bottom: "conv3" top: "conv3" }
        \(pooling("pool3", bottom: "conv3", "AVE", kernel: 3, stride: 2))
        \(innerProduct("ip1", bottom: "pool3", outputs: 64))
        \(innerProduct("ip2", bottom: "ip1", outputs: 10))
        \(accuracyAndLoss(bottom: "ip2"))
        """

    /// Writes `text` as `name` in `directory` (where the LMDBs it names do not exist).
    static func write(_ text: String, as name: String, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private static func convolution(_ name: String, bottom: String, outputs: Int, kernel: Int, pad: Int = 0) -> String {
        """
        layer {
          name: "\(name)" type: "Convolution" bottom: "\(bottom)" top: "\(name)"
          param { lr_mult: 1 } param { lr_mult: 2 }
          convolution_param {
            num_output: \(outputs) \(pad > 0 ? "pad: \(pad) " : "")kernel_size: \(kernel) stride: 1
            weight_filler { type: "xavier" } bias_filler { type: "constant" }
          }
        }
        """
    }

    private static func pooling(_ name: String, bottom: String, _ pool: String, kernel: Int, stride: Int? = nil) -> String {
        """
        layer {
          name: "\(name)" type: "Pooling" bottom: "\(bottom)" top: "\(name)"
          pooling_param { pool: \(pool) kernel_size: \(kernel) stride: \(stride ?? kernel) }
        }
        """
    }

    private static func innerProduct(_ name: String, bottom: String, outputs: Int) -> String {
        """
        layer {
          name: "\(name)" type: "InnerProduct" bottom: "\(bottom)" top: "\(name)"
          param { lr_mult: 1 } param { lr_mult: 2 }
          inner_product_param { num_output: \(outputs) weight_filler { type: "xavier" } bias_filler { type: "constant" } }
        }
        """
    }

    private static func accuracyAndLoss(bottom: String) -> String {
        """
        layer {
          name: "accuracy" type: "Accuracy" bottom: "\(bottom)" bottom: "label" top: "accuracy"
          include { phase: TEST }
        }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "\(bottom)" bottom: "label" top: "loss" }
        """
    }
}
