#!/usr/bin/python3
"""Write the PyTorch reference (golden) files that the Go ResNet tests compare against.

Run from the module root with the Debian build of PyTorch:

    /usr/bin/python3 testdata/gen_golden.py

Every parameter and input is a closed-form function of its name and index, so no weights
are stored. Values are rounded to the case's dtype and the model then runs in float64, which
makes each file an exact reference for what the float32 Go code should approximate.
testdata/README.md describes the formulas and the JSON layout.
"""

import json
import math
import os
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OUT_DIR = os.path.join("testdata", "golden")

# Tensors with at most this many elements also store every value. Logits always do.
FULL_VALUES_MAX = 4096
# The deep and full-width forward cases store gradients and running statistics as
# summaries only, which keeps all golden files at about 4 MB instead of about 21 MB.
SUMMARY_ONLY = 0
SAMPLE_COUNT = 16

BN_EPS = 1e-5
BN_MOMENTUM = 0.1

# Block kind and blocks per stage for each depth. check_against_torchvision asserts
# that they reproduce torchvision's resnetN layouts.
STAGE_TABLE = {
    18: ("basic", [2, 2, 2, 2]),
    34: ("basic", [3, 4, 6, 3]),
    50: ("bottleneck", [3, 4, 6, 3]),
    101: ("bottleneck", [3, 4, 23, 3]),
    152: ("bottleneck", [3, 8, 36, 3]),
}

# Parameter counts of torchvision's resnetN(num_classes=1000), keyed by (depth, classes).
EXPECTED_PARAM_COUNTS = {
    (18, 1000): 11_689_512,
    (34, 1000): 21_797_672,
    (50, 1000): 25_557_032,
    (101, 1000): 44_549_160,
    (152, 1000): 60_192_808,
    (50, 2): 23_512_130,
}

DTYPES = {"float32": torch.float32, "float64": torch.float64}


# ---------------------------------------------------------------------------
# Model: torchvision's ResNet layout with a free base width and two variants.
# ---------------------------------------------------------------------------


def conv(in_channels, out_channels, kernel, stride):
    """Return a bias-free square convolution padded to keep the size at stride 1."""
    return nn.Conv2d(in_channels, out_channels, kernel, stride=stride,
                     padding=kernel // 2, bias=False)


def batch_norm(channels):
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with an identity or projection shortcut."""

    expansion = 1

    def __init__(self, in_channels, planes, stride, shortcut, stride_on_1x1):
        super().__init__()
        del stride_on_1x1  # A basic block has no 1x1 convolution.
        # Attribute order fixes the state_dict order, which must match torchvision's.
        self.conv1 = conv(in_channels, planes, 3, stride)
        self.bn1 = batch_norm(planes)
        self.conv2 = conv(planes, planes, 3, 1)
        self.bn2 = batch_norm(planes)
        self.downsample = shortcut

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3, 1x1 expand by 4, with an identity or projection shortcut.

    torchvision puts the stride on the 3x3 convolution (ResNet V1.5). With stride_on_1x1
    it sits on the first 1x1 convolution, where the original ResNet has it according to
    the comment on torchvision's Bottleneck.
    """

    expansion = 4

    def __init__(self, in_channels, planes, stride, shortcut, stride_on_1x1):
        super().__init__()
        stride1, stride2 = (stride, 1) if stride_on_1x1 else (1, stride)
        self.conv1 = conv(in_channels, planes, 1, stride1)
        self.bn1 = batch_norm(planes)
        self.conv2 = conv(planes, planes, 3, stride2)
        self.bn2 = batch_norm(planes)
        self.conv3 = conv(planes, planes * self.expansion, 1, 1)
        self.bn3 = batch_norm(planes * self.expansion)
        self.downsample = shortcut

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class ResNet(nn.Module):
    """ResNet whose parameter names and shapes follow torchvision's pattern.

    Stem: 7x7/2 convolution, BatchNorm, ReLU, 3x3/2 max pool. Stages 1-4 have planes
    width, 2*width, 4*width, 8*width and strides 1, 2, 2, 2. Head: global average pool, fc.
    """

    def __init__(self, depth, classes, in_channels=3, width=64,
                 stride_on_1x1=False, plain_projection=False):
        super().__init__()
        kind, blocks_per_stage = STAGE_TABLE[depth]
        block = BasicBlock if kind == "basic" else Bottleneck
        self.conv1 = nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = batch_norm(width)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)

        channels = width
        for stage, blocks in enumerate(blocks_per_stage):
            planes = width * 2 ** stage
            stride = 1 if stage == 0 else 2
            layers = []
            for index in range(blocks):
                block_stride = stride if index == 0 else 1
                out_channels = planes * block.expansion
                shortcut = None
                if block_stride != 1 or channels != out_channels:
                    shortcut = projection(channels, out_channels, block_stride, plain_projection)
                layers.append(block(channels, planes, block_stride, shortcut, stride_on_1x1))
                channels = out_channels
            self.add_module("layer%d" % (stage + 1), nn.Sequential(*layers))

        self.fc = nn.Linear(channels, classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)
        return self.fc(x)


def projection(in_channels, out_channels, stride, plain):
    """Return the 1x1 projection shortcut, followed by BatchNorm unless plain."""
    layers = [conv(in_channels, out_channels, 1, stride)]
    if not plain:
        layers.append(batch_norm(out_channels))
    return nn.Sequential(*layers)


def torchvision_resnet(depth, classes):
    constructor = getattr(torchvision.models, "resnet%d" % depth)
    return constructor(weights=None, num_classes=classes)


# ---------------------------------------------------------------------------
# Deterministic parameters and inputs.
# ---------------------------------------------------------------------------


def name_seed(name):
    """Return s, the sum of the byte values of the ASCII name."""
    return sum(name.encode("ascii"))


def parameter_values(name, shape):
    """Return the float64 values of state_dict entry name, row-major, before dtype rounding."""
    s = name_seed(name)
    count = math.prod(shape)
    u = [math.sin(0.7 * i + 0.1 * s) for i in range(count)]

    if name.endswith("num_batches_tracked"):
        return [0.0] * count
    if name.endswith("running_mean"):
        return [0.1 * v for v in u]
    if name.endswith("running_var"):
        return [1.0 + 0.15 * (v + 1.0) for v in u]
    if name == "fc.weight":
        scale = 1.4 / math.sqrt(shape[1])
        return [v * scale for v in u]
    if name == "fc.bias":
        return [0.05 * v for v in u]
    if len(shape) == 4:
        scale = 2.0 / math.sqrt(shape[1] * shape[2] * shape[3])
        return [v * scale for v in u]
    if name.endswith(".weight") and len(shape) == 1:
        return [1.0 + 0.2 * v for v in u]
    if name.endswith(".bias") and len(shape) == 1:
        return [0.1 * v for v in u]
    raise ValueError("parameter_values has no rule for state_dict entry %r with shape %s. "
                     "Add one here and in testdata/README.md" % (name, list(shape)))


def load_parameters(model, dtype):
    """Make the model float64 and set each state_dict entry to parameter_values rounded to dtype."""
    # Convert first: a float32 module would round the float64 cases to float32 on load.
    model = model.double()
    state = {}
    for name, tensor in model.state_dict().items():
        values = torch.tensor(parameter_values(name, tuple(tensor.shape)), dtype=torch.float64)
        if tensor.dtype.is_floating_point:
            values = values.to(DTYPES[dtype]).to(torch.float64)
        state[name] = values.reshape(tensor.shape).to(tensor.dtype)
    model.load_state_dict(state)
    return model


def make_input(shape, phase, dtype):
    """Return x[i] = sin(0.013 i + 0.5 + p) + 0.25 cos(0.031 i + p) rounded to dtype, as float64."""
    count = math.prod(shape)
    values = [math.sin(0.013 * i + 0.5 + phase) + 0.25 * math.cos(0.031 * i + phase)
              for i in range(count)]
    x = torch.tensor(values, dtype=torch.float64).to(DTYPES[dtype]).to(torch.float64)
    return x.reshape(shape)


def fixed_loss(logits):
    """Return L = sum over n,k of logits[n,k] * cos(0.5 (n K + k) + 0.2)."""
    batch, classes = logits.shape
    weights = torch.tensor([math.cos(0.5 * i + 0.2) for i in range(batch * classes)],
                           dtype=torch.float64).reshape(batch, classes)
    return (logits * weights).sum()


# ---------------------------------------------------------------------------
# Tensor summaries and JSON output.
# ---------------------------------------------------------------------------


def summarize(tensor, values_max=FULL_VALUES_MAX):
    """Return shape, exact-rounded sums, 16 spread samples and all values if count <= values_max."""
    values = tensor.detach().to(torch.float64).reshape(-1).tolist()
    count = len(values)
    indices = sorted({j * (count - 1) // (SAMPLE_COUNT - 1) for j in range(SAMPLE_COUNT)})
    summary = {
        "shape": list(tensor.shape),
        "sum": math.fsum(values),
        "abs_sum": math.fsum(abs(v) for v in values),
        "sq_sum": math.fsum(v * v for v in values),
        "samples": [[i, values[i]] for i in indices],
    }
    if count <= values_max:
        summary["values"] = values
    return summary


def is_flat(value):
    """Report whether value prints on one line: a scalar, or a list of scalars or scalar lists."""
    if isinstance(value, dict):
        return False
    if isinstance(value, list):
        return all(not isinstance(v, (dict, list)) or
                   (isinstance(v, list) and all(not isinstance(w, (dict, list)) for w in v))
                   for v in value)
    return True


def encode(value, indent=0):
    """Encode JSON with objects one key per line and numeric lists kept on one line.

    Floats use Python's repr, the shortest decimal that parses back to the same float64.
    """
    if is_flat(value):
        return json.dumps(value, allow_nan=False, separators=(",", ":"))
    pad = " " * (indent + 1)
    if isinstance(value, dict):
        items = ["%s%s: %s" % (pad, json.dumps(k), encode(v, indent + 1)) for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + encode(v, indent + 1) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def versions():
    return {"torch_version": torch.__version__, "torchvision_version": torchvision.__version__}


def write_json(filename, payload):
    path = os.path.join(OUT_DIR, filename)
    with open(path, "w", encoding="ascii") as f:
        f.write(encode({**versions(), **payload}))
        f.write("\n")
    print("wrote %-28s %8d bytes" % (path, os.path.getsize(path)))


# ---------------------------------------------------------------------------
# Self-checks.
# ---------------------------------------------------------------------------


def parameter_count(model):
    return sum(p.numel() for p in model.parameters())


def check_against_torchvision():
    """Assert that ResNet at width 64 matches torchvision in names, shapes, counts and outputs."""
    for (depth, classes), expected in EXPECTED_PARAM_COUNTS.items():
        reference = torchvision_resnet(depth, classes)
        ours = ResNet(depth, classes)
        reference_layout = [(k, tuple(v.shape)) for k, v in reference.state_dict().items()]
        our_layout = [(k, tuple(v.shape)) for k, v in ours.state_dict().items()]
        assert our_layout == reference_layout, "state_dict layout differs for depth %d" % depth
        got = parameter_count(reference)
        assert got == expected, "resnet%d/%d: got %d parameters, want %d" % (
            depth, classes, got, expected)
        assert parameter_count(ours) == expected

    # Same parameters, same input: outputs must agree to rounding.
    for depth in (18, 50):
        reference = load_parameters(torchvision_resnet(depth, 7), "float64")
        ours = load_parameters(ResNet(depth, 7), "float64")
        x = make_input((2, 3, 64, 64), 0, "float64")
        for train in (False, True):
            reference.train(train)
            ours.train(train)
            with torch.no_grad():
                difference = (reference(x) - ours(x)).abs().max().item()
            assert difference < 1e-12, "depth %d train=%s: max abs difference %g" % (
                depth, train, difference)
    print("self-check: ResNet matches torchvision layout, parameter counts and outputs")


# ---------------------------------------------------------------------------
# Golden files.
# ---------------------------------------------------------------------------


def state_layout(model):
    parameter_names = {name for name, _ in model.named_parameters()}
    entries = []
    for name, tensor in model.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        kind = "parameter" if name in parameter_names else "buffer"
        entries.append([name, list(tensor.shape), kind])
    return entries


def write_names():
    models = []
    for depth, classes in EXPECTED_PARAM_COUNTS:
        model = torchvision_resnet(depth, classes)
        models.append({
            "depth": depth,
            "classes": classes,
            "width": 64,
            "in_channels": 3,
            "parameter_count": parameter_count(model),
            "entries": state_layout(model),
        })
    write_json("names.json", {
        "note": "entries are [name, shape, kind] in state_dict order; kind is parameter or buffer. "
                "Every BatchNorm also has an int64 buffer <prefix>.num_batches_tracked, "
                "left out here.",
        "models": models,
    })


FORWARD_CASES = [
    # name, depth, classes, in_channels, width, batch, size, dtype, stride_on_1x1,
    # plain_projection, eval-mode gradients, values_max for gradients and running statistics
    ("r50_224", 50, 10, 3, 64, 2, 224, "float32", False, False, False, SUMMARY_ONLY),
    ("r50_224_f64", 50, 10, 3, 64, 2, 224, "float64", False, False, False, SUMMARY_ONLY),
    ("r50_b32_64", 50, 2, 3, 64, 32, 64, "float32", False, False, False, SUMMARY_ONLY),
    ("r18_w8_f64", 18, 5, 3, 8, 4, 32, "float64", False, False, True, FULL_VALUES_MAX),
    ("r18_w8_f32", 18, 5, 3, 8, 4, 32, "float32", False, False, False, FULL_VALUES_MAX),
    ("r50_w8_v1plain", 50, 4, 3, 8, 2, 40, "float64", True, True, False, SUMMARY_ONLY),
    ("r50_w8_f64", 50, 4, 3, 8, 2, 40, "float64", False, False, True, SUMMARY_ONLY),
    ("r34_w4_gray", 34, 3, 1, 4, 3, 48, "float64", False, False, False, SUMMARY_ONLY),
    ("r101_w4", 101, 3, 3, 4, 2, 32, "float64", False, False, False, SUMMARY_ONLY),
    ("r152_w4", 152, 3, 3, 4, 2, 32, "float64", False, False, False, SUMMARY_ONLY),
]


def build_model(config):
    """Return a fresh float64 model with the deterministic parameters of config."""
    standard = (config["width"] == 64 and config["in_channels"] == 3 and
                not config["stride_on_1x1"] and not config["plain_projection"])
    if standard:
        model = torchvision_resnet(config["depth"], config["classes"])
    else:
        model = ResNet(config["depth"], config["classes"], config["in_channels"], config["width"],
                       config["stride_on_1x1"], config["plain_projection"])
    return load_parameters(model, config["dtype"])


def running_statistics(model, values_max=FULL_VALUES_MAX):
    return {name: summarize(tensor, values_max) for name, tensor in model.state_dict().items()
            if name.endswith("running_mean") or name.endswith("running_var")}


def gradients(model, values_max):
    return {name: summarize(p.grad, values_max) for name, p in model.named_parameters()}


def float32_pass(config, x, values_max):
    """Return the training pass computed by PyTorch itself in float32, from the same weights.

    The Go tests measure how far PyTorch's own float32 arithmetic lies from the float64
    reference and allow the Go float32 result a small multiple of that distance: deep
    networks in training mode amplify rounding in the gradients of the first layers.
    """
    model = build_model(config).float()
    model.train()
    logits = model(x.float())
    fixed_loss(logits.double()).backward()
    return {
        "logits_train": summarize(logits.double()),
        "grads_train": {name: summarize(p.grad.double(), values_max)
                        for name, p in model.named_parameters()},
        "running_after_train": {name: summarize(t.double(), values_max)
                                for name, t in model.state_dict().items()
                                if name.endswith("running_mean") or name.endswith("running_var")},
    }


def write_forward_case(case):
    (name, depth, classes, in_channels, width, batch, size, dtype,
     stride_on_1x1, plain_projection, with_eval_grads, values_max) = case
    config = {
        "depth": depth, "classes": classes, "in_channels": in_channels, "width": width,
        "batch": batch, "size": size, "dtype": dtype,
        "stride_on_1x1": stride_on_1x1, "plain_projection": plain_projection,
    }
    x = make_input((batch, in_channels, size, size), 0, dtype)
    payload = {"config": config, "batchnorm": {"eps": BN_EPS, "momentum": BN_MOMENTUM},
               "values_max": values_max, "input": summarize(x)}

    model = build_model(config)
    model.eval()
    with torch.no_grad():
        payload["logits_eval"] = summarize(model(x))

    model.train()
    logits = model(x)
    loss = fixed_loss(logits)
    loss.backward()
    payload["logits_train"] = summarize(logits)
    payload["loss_train"] = loss.item()
    payload["grads_train"] = gradients(model, values_max)
    payload["running_after_train"] = running_statistics(model, values_max)

    if dtype == "float32":
        payload["torch_float32"] = float32_pass(config, x, values_max)

    if with_eval_grads:
        model = build_model(config)
        model.eval()
        loss = fixed_loss(model(x))
        loss.backward()
        payload["loss_eval"] = loss.item()
        payload["grads_eval"] = gradients(model, values_max)

    write_json("forward_%s.json" % name, payload)


def warmup_cosine(optimizer, warmup, total, start_factor, eta_min):
    """Return PyTorch's linear warm-up then cosine schedule, or plain cosine when warmup is 0."""
    if warmup == 0:
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total, eta_min=eta_min)
    linear = torch.optim.lr_scheduler.LinearLR(
        optimizer, start_factor=start_factor, end_factor=1.0, total_iters=warmup)
    cosine = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=total - warmup, eta_min=eta_min)
    return torch.optim.lr_scheduler.SequentialLR(
        optimizer, [linear, cosine], milestones=[warmup])


def warmup_cosine_closed_form(t, base, warmup, total, start_factor, eta_min):
    if t < warmup:
        return base * (start_factor + (1 - start_factor) * t / warmup)
    angle = math.pi * (t - warmup) / (total - warmup)
    return eta_min + (base - eta_min) * (1 + math.cos(angle)) / 2


def make_scheduler(optimizer, schedule):
    if schedule is None:
        return None
    if schedule["kind"] == "step":
        return torch.optim.lr_scheduler.StepLR(
            optimizer, step_size=schedule["step_size"], gamma=schedule["gamma"])
    return warmup_cosine(optimizer, schedule["warmup"], schedule["total"],
                         schedule["start_factor"], schedule["eta_min"])


NESTEROV_SCHEDULE = {"kind": "warmup_cosine", "base": 0.1, "warmup": 2, "total": 5,
                     "start_factor": 0.1, "eta_min": 0.0}

SCHEDULES = [
    ("step_decay", {"kind": "step", "base": 0.1, "step_size": 3, "gamma": 0.1, "total": 10}),
    ("warmup_cosine", {"kind": "warmup_cosine", "base": 0.1, "warmup": 3, "total": 12,
                       "start_factor": 0.01, "eta_min": 0.0}),
    ("cosine_no_warmup", {"kind": "warmup_cosine", "base": 0.5, "warmup": 0, "total": 8,
                          "start_factor": 1.0, "eta_min": 0.001}),
    ("train_nesterov_f64", NESTEROV_SCHEDULE),
]


def write_schedules():
    entries = []
    for name, schedule in SCHEDULES:
        weight = torch.zeros(1, requires_grad=True)
        optimizer = torch.optim.SGD([weight], lr=schedule["base"])
        scheduler = make_scheduler(optimizer, schedule)
        rates, closed, mismatches = [], [], []
        for t in range(schedule["total"]):
            lr = optimizer.param_groups[0]["lr"]
            if schedule["kind"] == "step":
                want = schedule["base"] * schedule["gamma"] ** (t // schedule["step_size"])
            else:
                want = warmup_cosine_closed_form(
                    t, schedule["base"], schedule["warmup"], schedule["total"],
                    schedule["start_factor"], schedule["eta_min"])
            rates.append(lr)
            closed.append(want)
            if abs(lr - want) > 1e-12:
                mismatches.append({"step": t, "torch": lr, "closed_form": want})
            optimizer.step()
            scheduler.step()
        status = "matches closed form" if not mismatches else "%d mismatches" % len(mismatches)
        print("schedule %-20s %s" % (name, status))
        for m in mismatches:
            print("  step %d: torch %r, closed form %r" % (m["step"], m["torch"], m["closed_form"]))
        entries.append({"name": name, "settings": schedule, "lr": rates,
                        "closed_form": closed, "matches_closed_form": not mismatches,
                        "mismatches": mismatches})
    write_json("schedules.json", {
        "note": "lr[t] is the rate used by optimizer step t; scheduler.step() runs after each "
                "optimizer step. closed_form is the formula in testdata/README.md, and "
                "mismatches lists steps where the two differ by more than 1e-12.",
        "schedules": entries,
    })


TRAIN_BASE = {"depth": 18, "classes": 3, "in_channels": 3, "width": 8, "batch": 4, "size": 32,
              "dtype": "float64", "stride_on_1x1": False, "plain_projection": False,
              "steps": 3, "lr": 0.05, "momentum": 0.9, "nesterov": False, "dampening": 0.0,
              "lam": 5e-3, "schedule": None}

TRAIN_CASES = [
    ("train_sgd_f64", {}),
    ("train_sgd_f32", {"dtype": "float32"}),
    ("train_nesterov_f64", {"nesterov": True, "steps": 5, "lr": NESTEROV_SCHEDULE["base"],
                            "schedule": NESTEROV_SCHEDULE}),
    ("train_plain_f64", {"momentum": 0.0, "steps": 2}),
]


def penalized_parameters(model):
    """Return the convolution weights and fc.weight, the tensors under the L2 penalty."""
    return [p for name, p in model.named_parameters() if p.dim() == 4 or name == "fc.weight"]


def write_train_case(name, overrides):
    settings = {**TRAIN_BASE, **overrides}
    model = build_model(settings)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=settings["lr"],
                                momentum=settings["momentum"], dampening=settings["dampening"],
                                nesterov=settings["nesterov"], weight_decay=0.0)
    scheduler = make_scheduler(optimizer, settings["schedule"])
    penalized = penalized_parameters(model)
    shape = (settings["batch"], settings["in_channels"], settings["size"], settings["size"])

    steps = []
    for step in range(settings["steps"]):
        x = make_input(shape, step, settings["dtype"])
        labels = torch.tensor([(n + step) % settings["classes"] for n in range(settings["batch"])])

        optimizer.zero_grad()
        logits = model(x)
        ce = F.cross_entropy(logits, labels)
        penalty = settings["lam"] / 2 * sum((p * p).sum() for p in penalized)
        loss = ce + penalty
        loss.backward()
        lr = optimizer.param_groups[0]["lr"]
        optimizer.step()
        if scheduler is not None:
            scheduler.step()

        accuracy = (logits.argmax(dim=1) == labels).double().mean().item()
        steps.append({"step": step, "labels": labels.tolist(), "loss": loss.item(),
                      "ce": ce.item(), "penalty": penalty.item(), "accuracy": accuracy,
                      "lr": lr, "logits": summarize(logits)})

    write_json("%s.json" % name, {
        "settings": settings,
        "batchnorm": {"eps": BN_EPS, "momentum": BN_MOMENTUM},
        "values_max": FULL_VALUES_MAX,
        "steps": steps,
        "params": {n: summarize(p) for n, p in model.named_parameters()},
        "running": running_statistics(model),
    })


def sin_logits(rows, columns):
    """Return logits[i] = 3 sin(0.7 i + 0.1), row-major, as a random-looking float64 batch."""
    return torch.tensor([3 * math.sin(0.7 * i + 0.1) for i in range(rows * columns)],
                        dtype=torch.float64).reshape(rows, columns)


def write_loss_cases():
    cases = [
        ("large_margin_f64", torch.tensor([[1000.0, 0.0]], dtype=torch.float64), [1], 0.0),
        ("large_margin_f32", torch.tensor([[1000.0, 0.0]], dtype=torch.float32), [1], 0.0),
        ("overflow_f32", torch.tensor([[90.0, 2.0, -2.0]], dtype=torch.float32), [2], 0.0),
        ("huge_f64", torch.tensor([[1e8, 0.0, -1e8]], dtype=torch.float64), [0], 0.0),
        ("huge_f32", torch.tensor([[1e8, 0.0, -1e8]], dtype=torch.float32), [0], 0.0),
        ("batch_f64", sin_logits(4, 5), [0, 3, 1, 4], 0.0),
        ("batch_smooth01_f64", sin_logits(4, 5), [0, 3, 1, 4], 0.1),
        ("batch_smooth02_f64", sin_logits(4, 5), [0, 3, 1, 4], 0.2),
    ]
    entries = []
    for name, logits, targets, smoothing in cases:
        logits = logits.clone().requires_grad_(True)
        loss = F.cross_entropy(logits, torch.tensor(targets), label_smoothing=smoothing)
        loss.backward()
        entries.append({"name": name, "dtype": str(logits.dtype).replace("torch.", ""),
                        "label_smoothing": smoothing, "logits": logits.detach().tolist(),
                        "targets": targets, "loss": loss.item(),
                        "grad": logits.grad.tolist()})
    write_json("loss.json", {
        "note": "torch.nn.functional.cross_entropy with mean reduction; grad is d loss / d logits "
                "computed in the case's dtype.",
        "cases": entries,
    })


def main():
    if not os.path.isfile("go.mod"):
        sys.exit("gen_golden.py: go.mod not found in %s. Run it from the module root."
                 % os.getcwd())
    warnings.filterwarnings("ignore", category=UserWarning)
    torch.set_num_threads(2)
    torch.use_deterministic_algorithms(True)
    os.makedirs(OUT_DIR, exist_ok=True)

    check_against_torchvision()
    write_names()
    write_schedules()
    write_loss_cases()
    for name, overrides in TRAIN_CASES:
        write_train_case(name, overrides)
    for case in FORWARD_CASES:
        write_forward_case(case)


if __name__ == "__main__":
    main()
