// Package resnet builds the ResNet family (18, 34, 50, 101 and 152 layers, He et al. 2016) as a
// symbolic Gorgonia expression graph, and trains it with its own SGD on a TapeMachine.
//
// # Packages
//
// Imports flow one way: graph ← blocks ← resnet ← cmd.
//
//   - graph wraps Gorgonia with the ops and layer builders the network needs: convolution,
//     pooling, ReLU, dropout, linear layers, parameters and their initialization, the layer
//     records behind summaries, and the Graphviz export.
//   - blocks holds the residual blocks (basic and bottleneck, with projection shortcuts). It gets
//     the normalization layer from its caller, so it does not import this package.
//   - resnet (this package) holds the BatchNorm op, the architecture table and constructor, the
//     loss, the optimizer and the trainer.
//   - dataset turns image folders into batches; it does not import Gorgonia.
//
// # Graph lifecycle
//
//  1. Build: create a graph and an input node, then call New. The returned Network holds the
//     output node (logits, or pooled features with Config.NoHead), the parameters in
//     torchvision's state_dict order and the BatchNorm layers.
//  2. Bind: write the batch into the input node's tensor (or gorgonia.Let it). Parameters are
//     bound to tensors at build time; the optimizer updates them in place.
//  3. Run: call gorgonia.Grad once on a scalar cost if you need gradients, optionally call
//     graph.PlanMemory with the nodes you will read (activations and gradients then share
//     memory: a training step of ResNet-50 at batch 32, 224×224 needs 2.7 GB instead of
//     7.7 GB), create a TapeMachine and call RunAll.
//  4. Read: node values and gradients are valid until the next run. Ops reuse their output
//     tensors from one run to the next, so copy a value you want to keep. After PlanMemory,
//     only the nodes passed to it and the graph's roots (the cost, the gradients) keep their
//     values: other nodes, such as Network.Layers' outputs, may hold later ops' numbers.
//  5. Reset: call the machine's Reset before the next RunAll.
//
// Training versus inference mode is a switch on the network (SetTraining) that BatchNorm and
// dropout read at run time: switching needs no rebuild and keeps the weights. BatchNorm layers
// own their running statistics; NewShared builds a second graph (another batch size, or a
// forward-only graph) on the same parameters and statistics.
//
// Trainer wraps all of this: Step binds a batch, runs forward and backward, updates the
// weights and records loss, penalty and accuracy; Evaluate runs inference over many batches.
package resnet
