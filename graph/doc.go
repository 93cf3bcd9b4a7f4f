// Package graph holds the Gorgonia building blocks of the network: ops that Gorgonia lacks or
// implements slowly (NCHW convolution, max and global average pooling, ReLU, dropout), layer
// builders that create named, initialized parameters and record each layer, and the Graphviz
// export.
//
// Every op here supports float32 and float64, differentiates symbolically (SymDiff) so that
// gorgonia.Grad and a TapeMachine compute the backward pass, and reuses its output tensor from
// one run to the next (see Buffer): a training loop allocates its activations once. A value
// read from a node is therefore valid until the next run of the machine. PlanMemory goes
// further and lets outputs whose lifetimes do not overlap share one arena, which keeps a
// training step's peak memory below PyTorch's in docs/benchmarks.md. The trainer and predictor
// of the root package plan their graphs.
//
// Mode is the training/inference switch read at run time by dropout here and batch
// normalization in the root package.
package graph
