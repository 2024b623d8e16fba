"""Times a float64 NumPy rendition of the seed's experiment for `pnpm bench`.

Written for this repository from the spec (../../../shared/seed): the seed's A2S,
including the ten-deep gradient history and the variance it computes and never uses
(the bench measures what the seed costs, so that cost stays in), the seed's Adam
baseline, and the 784-128-64-10 ReLU MLP with softmax cross-entropy, all in float64.

Prints one JSON object on stdout; the Node bench reads it. Usage:
  python3 seed_bench.py --mnist DIR --sizes 109386,1000000 --repeats 10 --epoch-steps 938
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

MLP_LAYERS = (784, 128, 64, 10)
BATCH = 64


class SeedA2S:
    """The spec's A2S, term by term, float64, state kept in dicts as the seed keeps it."""

    def __init__(self, lr_adam=0.001, lr_sgd=0.01, beta1=0.9, beta2=0.999, momentum=0.9,
                 curvature_k=0.05, switch_iter=1500, blend_iters=3000, epsilon=1e-8,
                 window_size=10):
        self.lr_adam, self.lr_sgd = lr_adam, lr_sgd
        self.beta1, self.beta2, self.momentum = beta1, beta2, momentum
        self.curvature_k, self.epsilon = curvature_k, epsilon
        self.switch_iter, self.blend_iters = switch_iter, blend_iters
        self.window_size = window_size
        self.t = 0
        self.m, self.v, self.buf = {}, {}, {}
        self.prev_grad = None
        self.history = []

    def blend_weight(self):
        if self.t <= self.switch_iter:
            return 1.0
        if self.t >= self.switch_iter + self.blend_iters:
            return 0.0
        return 1.0 - (self.t - self.switch_iter) / self.blend_iters

    def update(self, params, grads):
        self.t += 1
        # The seed snapshots every gradient into a sliding window and takes the variance
        # of the whole window each step; the result is unused, the cost is real.
        self.history.append({name: g.copy() for name, g in grads.items()})
        if len(self.history) > self.window_size:
            self.history.pop(0)
        window = np.concatenate([g.ravel() for snapshot in self.history for g in snapshot.values()])
        self.unused_variance = np.var(window) + 1e-12

        if self.prev_grad is None:
            curvature = 0.0
        else:
            curvature = np.sqrt(sum(np.sum((grads[k] - self.prev_grad[k]) ** 2) for k in grads))
        self.prev_grad = {name: g.copy() for name, g in grads.items()}
        scale = 1.0 / (1.0 + self.curvature_k * curvature)
        lr_adam, lr_sgd = self.lr_adam * scale, self.lr_sgd * scale

        if not self.m:
            for name, p in params.items():
                self.m[name] = np.zeros_like(p)
                self.v[name] = np.zeros_like(p)
                self.buf[name] = np.zeros_like(p)

        w = self.blend_weight()
        for name in params:
            g = grads[name]
            self.m[name] = self.beta1 * self.m[name] + (1 - self.beta1) * g
            self.v[name] = self.beta2 * self.v[name] + (1 - self.beta2) * (g * g)
            m_hat = self.m[name] / (1 - self.beta1 ** self.t)
            v_hat = self.v[name] / (1 - self.beta2 ** self.t)
            adam_step = lr_adam * m_hat / (np.sqrt(v_hat) + self.epsilon)
            self.buf[name] = self.momentum * self.buf[name] + g
            sgd_step = lr_sgd * self.buf[name]
            params[name] -= w * adam_step + (1 - w) * sgd_step

    def state_arrays(self):
        arrays = list(self.m.values()) + list(self.v.values()) + list(self.buf.values())
        arrays += list((self.prev_grad or {}).values())
        arrays += [g for snapshot in self.history for g in snapshot.values()]
        return arrays


class SeedAdam:
    """The seed's Adam baseline: bias-corrected moments, lr 1e-3."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8):
        self.lr, self.beta1, self.beta2, self.epsilon = lr, beta1, beta2, epsilon
        self.t = 0
        self.m, self.v = {}, {}

    def update(self, params, grads):
        self.t += 1
        if not self.m:
            for name, p in params.items():
                self.m[name] = np.zeros_like(p)
                self.v[name] = np.zeros_like(p)
        for name in params:
            g = grads[name]
            self.m[name] = self.beta1 * self.m[name] + (1 - self.beta1) * g
            self.v[name] = self.beta2 * self.v[name] + (1 - self.beta2) * (g * g)
            m_hat = self.m[name] / (1 - self.beta1 ** self.t)
            v_hat = self.v[name] / (1 - self.beta2 ** self.t)
            params[name] -= self.lr * m_hat / (np.sqrt(v_hat) + self.epsilon)

    def state_arrays(self):
        return list(self.m.values()) + list(self.v.values())


OPTIMIZERS = {"A2S": SeedA2S, "Adam": SeedAdam}


def mlp_shapes():
    shapes = {}
    for i, (fan_in, fan_out) in enumerate(zip(MLP_LAYERS, MLP_LAYERS[1:]), start=1):
        shapes[f"W{i}"] = (fan_in, fan_out)
        shapes[f"b{i}"] = (fan_out,)
    return shapes


def mlp_init(rng):
    """He-normal weights, zero biases."""
    params = {}
    for name, shape in mlp_shapes().items():
        if name.startswith("W"):
            params[name] = rng.standard_normal(shape) * np.sqrt(2.0 / shape[0])
        else:
            params[name] = np.zeros(shape)
    return params


def mlp_logits(params, x):
    h1 = np.maximum(x @ params["W1"] + params["b1"], 0.0)
    h2 = np.maximum(h1 @ params["W2"] + params["b2"], 0.0)
    return h1, h2, h2 @ params["W3"] + params["b3"]


def mlp_loss_and_grads(params, x, y):
    """Mean softmax cross-entropy over the batch and its gradients."""
    h1, h2, logits = mlp_logits(params, x)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    probs = exp / exp.sum(axis=1, keepdims=True)
    rows = np.arange(len(y))
    loss = -np.mean(np.log(probs[rows, y] + 1e-12))
    d3 = probs
    d3[rows, y] -= 1.0
    d3 /= len(y)
    d2 = (d3 @ params["W3"].T) * (h2 > 0)
    d1 = (d2 @ params["W2"].T) * (h1 > 0)
    grads = {
        "W3": h2.T @ d3, "b3": d3.sum(axis=0),
        "W2": h1.T @ d2, "b2": d2.sum(axis=0),
        "W1": x.T @ d1, "b1": d1.sum(axis=0),
    }
    return loss, grads


def accuracy(params, x, y):
    return float(np.mean(np.argmax(mlp_logits(params, x)[2], axis=1) == y))


def read_idx(path, magic):
    with open(path, "rb") as f:
        data = f.read()
    found = int.from_bytes(data[0:4], "big")
    if found != magic:
        raise ValueError(f"{path}: magic {found:#x}, expected {magic:#x}")
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_mnist(folder):
    def images(name):
        raw = read_idx(os.path.join(folder, name), 0x803)
        return raw.reshape(raw.shape[0], -1).astype(np.float64) / 255.0

    def labels(name):
        return read_idx(os.path.join(folder, name), 0x801).astype(np.int64)

    return (images("train-images-idx3-ubyte"), labels("train-labels-idx1-ubyte"),
            images("t10k-images-idx3-ubyte"), labels("t10k-labels-idx1-ubyte"))


def tensors_for(size):
    """The MLP's six tensors at its own size, one flat vector otherwise."""
    total = sum(int(np.prod(s)) for s in mlp_shapes().values())
    return mlp_shapes() if size == total else {"x": (size,)}


def time_step(kind, size, repeats, rng):
    shapes = tensors_for(size)
    params = {name: rng.standard_normal(shape) * 0.05 for name, shape in shapes.items()}
    # Two gradient sets in turn, so the curvature term sees a real difference.
    grad_sets = [{name: rng.standard_normal(shape) * 1e-2 for name, shape in shapes.items()}
                 for _ in range(2)]
    opt = OPTIMIZERS[kind]()
    # Warm-up fills the seed's gradient window, so the timed steps pay its steady cost.
    for i in range(11):
        opt.update(params, grad_sets[i % 2])
    samples = []
    for i in range(repeats):
        grads = grad_sets[i % 2]
        start = time.perf_counter()
        opt.update(params, grads)
        samples.append(time.perf_counter() - start)
    state_bytes = sum(a.nbytes for a in opt.state_arrays())
    return {
        "seconds": statistics.median(samples),
        "samples": len(samples),
        "stateBytesPerParam": state_bytes / size,
    }


def time_epoch(kind, data, steps, seed):
    train_x, train_y, test_x, test_y = data
    rng = np.random.default_rng(seed)
    params = mlp_init(rng)
    order = rng.permutation(len(train_x))
    opt = OPTIMIZERS[kind]()
    start = start_cpu = 0.0
    for step in range(steps):
        idx = order[step * BATCH:(step + 1) * BATCH]
        _, grads = mlp_loss_and_grads(params, train_x[idx], train_y[idx])
        opt.update(params, grads)
        # As in the Node bench, the clocks start after the first step.
        if step == 0:
            start, start_cpu = time.perf_counter(), time.process_time()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - start_cpu
    return {"seconds": seconds, "cpuSeconds": cpu_seconds, "steps": steps - 1,
            "testAccuracy": accuracy(params, test_x, test_y)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", required=True, help="folder holding the four MNIST IDX files")
    parser.add_argument("--sizes", required=True, help="comma-separated parameter counts")
    parser.add_argument("--repeats", type=int, default=10, help="timed steps per size")
    parser.add_argument("--large-repeats", type=int, default=3, help="timed steps for sizes >= 5e6")
    parser.add_argument("--epoch-steps", type=int, default=938, help="training steps to time")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    steps = []
    for size in (int(s) for s in args.sizes.split(",")):
        repeats = args.large_repeats if size >= 5_000_000 else args.repeats
        row = {"size": size, "tensors": len(tensors_for(size))}
        for kind in OPTIMIZERS:
            row[kind] = time_step(kind, size, repeats, rng)
        steps.append(row)

    data = load_mnist(args.mnist)
    full_epoch = -(-len(data[0]) // BATCH)
    epoch_steps = max(2, min(args.epoch_steps, full_epoch))
    epoch = {kind: time_epoch(kind, data, epoch_steps, args.seed) for kind in OPTIMIZERS}

    json.dump({
        "python": platform.python_version(),
        "numpy": np.__version__,
        "dtype": "float64",
        "steps": steps,
        "epoch": {"fullSteps": full_epoch, "batch": BATCH, **epoch},
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
