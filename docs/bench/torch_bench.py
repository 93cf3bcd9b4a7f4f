"""Time ResNet-50 training steps and forward passes in PyTorch, for docs/benchmarks.md.

Run by `go run ./cmd/benchcompare`, once per case in a fresh process so that the peak memory
the parent reads from the child's resource usage belongs to that case alone. Prints one JSON
object: the case and the time of each timed iteration in seconds.

    /usr/bin/python3 docs/bench/torch_bench.py --mode train --batch 32 --size 64 --iters 5
"""
import argparse
import json
import time

import torch
import torchvision


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["train", "forward"], required=True)
    parser.add_argument("--batch", type=int, required=True)
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--iters", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(num_classes=2)
    x = torch.randn(args.batch, 3, args.size, args.size)
    y = torch.arange(args.batch) % 2
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def step():
        if args.mode == "train":
            model.train()
            opt.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        else:
            model.eval()
            with torch.no_grad():
                model(x)

    step()  # warm-up: allocator and one-time setup
    times = []
    for _ in range(args.iters):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    print(json.dumps({"mode": args.mode, "batch": args.batch, "size": args.size,
                      "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "seconds": times}))


if __name__ == "__main__":
    main()
