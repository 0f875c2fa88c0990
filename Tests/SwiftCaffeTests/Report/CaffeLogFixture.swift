import Foundation

/// A Caffe training log as `caffe train --solver … 2>&1 | tee log` writes it (glog
/// prefixes, net set-up noise, Caffe's newer display line with iter/s, a test pass,
/// a snapshot), written by hand; it runs across midnight (Nov 22 → 23) so the seconds
/// must roll the day over.
enum CaffeLogFixture {
    static let text = """
        Log file created at: 2026/11/22 23:58:40
        Running on machine: gpu-box
        Log line format: [IWEF]mmdd hh:mm:ss.uuuuuu threadid file:line] msg
        I1122 23:58:40.100000 12345 caffe.cpp:204] Using GPUs 0
        I1122 23:58:41.000000 12345 solver.cpp:48] Initializing solver from parameters:
        test_iter: 1000
        test_interval: 100
        base_lr: 0.01
        display: 50
        I1122 23:58:41.500000 12345 net.cpp:84] Creating Layer data
        I1122 23:58:41.500100 12345 net.cpp:380] data -> data
        I1122 23:58:42.000000 12345 net.cpp:122] Setting up conv1
        I1122 23:58:42.000100 12345 net.cpp:129] Top shape: 256 96 55 55 (74342400)
        I1122 23:58:50.000000 12345 solver.cpp:57] Solver scaffolding done.
        I1122 23:58:50.250000 12345 caffe.cpp:239] Starting Optimization
        I1122 23:58:50.500000 12345 solver.cpp:293] Solving CaffeNet
        I1122 23:58:50.500001 12345 solver.cpp:294] Learning Rate Policy: step
        I1122 23:58:50.600000 12345 solver.cpp:351] Iteration 0, Testing net (#0)
        I1122 23:59:00.500000 12345 solver.cpp:418]     Test net output #0: accuracy = 0.001
        I1122 23:59:00.500001 12345 solver.cpp:418]     Test net output #1: loss = 6.90776 (* 1 = 6.90776 loss)
        I1122 23:59:01.000000 12345 solver.cpp:239] Iteration 0 (0 iter/s, 10.4s/50 iters), loss = 6.92
        I1122 23:59:01.000001 12345 solver.cpp:258]     Train net output #0: loss = 6.92 (* 1 = 6.92 loss)
        I1122 23:59:01.000002 12345 sgd_solver.cpp:112] Iteration 0, lr = 0.01
        I1122 23:59:31.000000 12345 solver.cpp:239] Iteration 50 (1.66667 iter/s, 30s/50 iters), loss = 6.5
        I1122 23:59:31.000001 12345 solver.cpp:258]     Train net output #0: loss = 6.45 (* 1 = 6.45 loss)
        I1122 23:59:31.000002 12345 sgd_solver.cpp:112] Iteration 50, lr = 0.01
        I1123 00:00:01.000000 12345 solver.cpp:351] Iteration 100, Testing net (#0)
        I1123 00:00:11.000000 12345 solver.cpp:418]     Test net output #0: accuracy = 0.0125
        I1123 00:00:11.000001 12345 solver.cpp:418]     Test net output #1: loss = 6.6 (* 1 = 6.6 loss)
        I1123 00:00:11.500000 12345 solver.cpp:239] Iteration 100 (1.5 iter/s, 33.3333s/50 iters), loss = 6.1
        I1123 00:00:11.500001 12345 solver.cpp:258]     Train net output #0: loss = 6.05 (* 1 = 6.05 loss)
        I1123 00:00:11.500002 12345 sgd_solver.cpp:112] Iteration 100, lr = 0.001
        W1123 00:00:12.000000 12345 solver.cpp:100] something to ignore: Iteration of nothing
        I1123 00:00:40.000000 12345 solver.cpp:464] Snapshotting to binary proto file caffenet_train_iter_150.caffemodel
        I1123 00:00:41.000000 12345 solver.cpp:239] Iteration 150 (1.7 iter/s, 29.5s/50 iters), loss = 5.75e+00
        I1123 00:00:41.000001 12345 solver.cpp:258]     Train net output #0: loss = 5.7 (* 1 = 5.7 loss)
        I1123 00:00:41.000002 12345 sgd_solver.cpp:112] Iteration 150, lr = 1e-04
        """
}
