// The float32 kernels of the A2S step and of its baselines' (Adam, RMSProp, SGD with
// momentum), in WebAssembly SIMD (4 lanes of f32).
//
// Every argument named like an array is a byte offset into the memory the host imports;
// the host lays the arrays out 16-byte aligned and never overlapping. Nothing here
// allocates: the module has no data segment and no runtime, so the host owns every byte.
//
// Pass 1 (gradientStats) reads each gradient once for what the host needs for the whole
// step; pass 2 (a2sUpdate, adamUpdate, rmspropUpdate, sgdMomentumUpdate) updates one
// tensor in one loop. The host passes 1 - beta as its own argument, rounded once from
// the double, rather than having it computed here in f32 from an already rounded beta.

/** Elements per block of the fast sums: each f32 lane adds BLOCK / 4 squares before the
 * block's sum joins the f64 total, so rounding stays near float32's unit roundoff. */
const BLOCK: usize = 256;

function sumLanes64(x: v128): f64 {
  return f64x2.extract_lane(x, 0) + f64x2.extract_lane(x, 1);
}

/** The four f32 lanes of `x` added into two f64 lanes. */
function widen(x: v128): v128 {
  return f64x2.add(f64x2.promote_low_f32x4(x), f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1)));
}

/** `beta*x + rest*y` per lane, rest being 1 - beta (or the gradient's factor): a running average. */
function mix(beta: v128, x: v128, rest: v128, y: v128): v128 {
  return f32x4.add(f32x4.mul(beta, x), f32x4.mul(rest, y));
}

/** `rate*m / (sqrt(v*invBc2) + epsilon)` per lane: Adam's step, bias corrections folded in. */
function adamDirection(rate: v128, m: v128, v: v128, invBc2: v128, epsilon: v128): v128 {
  return f32x4.div(f32x4.mul(rate, m), f32x4.add(f32x4.sqrt(f32x4.mul(v, invBc2)), epsilon));
}

/** `p - (step + decayRate*p)` per lane: the new parameter, decoupled weight decay included. */
function decayed(p: v128, step: v128, decayRate: v128): v128 {
  return f32x4.sub(p, f32x4.add(step, f32x4.mul(decayRate, p)));
}

function maxLane(x: v128): f32 {
  return max(
    max(f32x4.extract_lane(x, 0), f32x4.extract_lane(x, 1)),
    max(f32x4.extract_lane(x, 2), f32x4.extract_lane(x, 3)),
  );
}

/**
 * Pass 1 for one tensor: writes to `out` (f64) the sum of g^2, the sum of (c*g - prev)^2,
 * max |g|, a slot gradientStatsExact fills, the sum of g*prev and the sum of prev^2 (with
 * which the host can compute the sum of (c*g - prev)^2 for another c without a second
 * pass) and, when `withParams` is not 0, the sum of p^2 (a bound the host needs for a step
 * with weight decay, read here rather than in a pass of its own). Squares are summed in
 * f32 within a block and in f64 across blocks. A NaN or ±Infinity in g makes the first sum
 * NaN or infinite, and so does a finite g whose f32 square overflows: either way the host
 * asks gradientStatsExact, which tells the two apart.
 */
export function gradientStats(
  g: usize,
  prev: usize,
  p: usize,
  n: i32,
  c: f32,
  withParams: i32,
  out: usize,
): void {
  const cv = f32x4.splat(c);
  let sumSq = f64x2.splat(0);
  let sumDiff = f64x2.splat(0);
  let sumGp = f64x2.splat(0);
  let sumPp = f64x2.splat(0);
  let sumP = f64x2.splat(0);
  let maxAbs = f32x4.splat(0);
  const vectorBytes = (<usize>(n & ~3)) << 2;
  let o: usize = 0;
  while (o < vectorBytes) {
    const blockStart = o;
    const blockEnd = min(vectorBytes, o + (BLOCK << 2));
    let blockSq = f32x4.splat(0);
    let blockDiff = f32x4.splat(0);
    let blockGp = f32x4.splat(0);
    let blockPp = f32x4.splat(0);
    for (; o < blockEnd; o += 16) {
      const gv = v128.load(g + o);
      const pv = v128.load(prev + o);
      const d = f32x4.sub(f32x4.mul(cv, gv), pv);
      blockSq = f32x4.add(blockSq, f32x4.mul(gv, gv));
      blockDiff = f32x4.add(blockDiff, f32x4.mul(d, d));
      blockGp = f32x4.add(blockGp, f32x4.mul(gv, pv));
      blockPp = f32x4.add(blockPp, f32x4.mul(pv, pv));
      // pmax is one instruction; a NaN here is caught by the sums, so its NaN rule does not matter.
      maxAbs = f32x4.pmax(maxAbs, f32x4.abs(gv));
    }
    if (withParams) {
      // The parameters' block right after the gradient's: the loop above stays branch-free.
      let blockP = f32x4.splat(0);
      for (let q = blockStart; q < blockEnd; q += 16) {
        const x = v128.load(p + q);
        blockP = f32x4.add(blockP, f32x4.mul(x, x));
      }
      sumP = f64x2.add(sumP, widen(blockP));
    }
    sumSq = f64x2.add(sumSq, widen(blockSq));
    sumDiff = f64x2.add(sumDiff, widen(blockDiff));
    sumGp = f64x2.add(sumGp, widen(blockGp));
    sumPp = f64x2.add(sumPp, widen(blockPp));
  }
  let sq = sumLanes64(sumSq);
  let diff = sumLanes64(sumDiff);
  let gp = sumLanes64(sumGp);
  let pp = sumLanes64(sumPp);
  let ps = sumLanes64(sumP);
  let top = maxLane(maxAbs);
  for (let tail = vectorBytes; tail < (<usize>n) << 2; tail += 4) {
    const gi = load<f32>(g + tail);
    const pi = load<f32>(prev + tail);
    const d = c * gi - pi;
    sq += <f64>(gi * gi);
    diff += <f64>(d * d);
    gp += <f64>(gi * pi);
    pp += <f64>(pi * pi);
    if (withParams) {
      const x = load<f32>(p + tail);
      ps += <f64>(x * x);
    }
    top = max(top, abs(gi));
  }
  store<f64>(out, sq);
  store<f64>(out, diff, 8);
  store<f64>(out, <f64>top, 16);
  store<f64>(out, gp, 32);
  store<f64>(out, pp, 40);
  store<f64>(out, withParams ? ps : 0, 48);
}

/**
 * Pass 1 in f64 throughout, element by element, for when gradientStats's sums came out
 * non-finite. The same results, and in the fourth f64: 1 when every g is finite (f64
 * squares of f32 values cannot overflow, so the sum of g^2 is finite exactly then), else 0.
 */
export function gradientStatsExact(
  g: usize,
  prev: usize,
  p: usize,
  n: i32,
  c: f32,
  withParams: i32,
  out: usize,
): void {
  let sq: f64 = 0;
  let diff: f64 = 0;
  let gp: f64 = 0;
  let pp: f64 = 0;
  let ps: f64 = 0;
  let top: f32 = 0;
  for (let o: usize = 0; o < (<usize>n) << 2; o += 4) {
    const gi = load<f32>(g + o);
    const pi = <f64>load<f32>(prev + o);
    const d = <f64>(c * gi) - pi;
    sq += <f64>gi * <f64>gi;
    diff += d * d;
    gp += <f64>gi * pi;
    pp += pi * pi;
    if (withParams) {
      const x = <f64>load<f32>(p + o);
      ps += x * x;
    }
    top = max(top, abs(gi));
  }
  store<f64>(out, sq);
  store<f64>(out, diff, 8);
  store<f64>(out, <f64>top, 16);
  store<f64>(out, sq - sq === 0 ? 1 : 0, 24);
  store<f64>(out, gp, 32);
  store<f64>(out, pp, 40);
  store<f64>(out, ps, 48);
}

/** Index of the first NaN or ±Infinity in g, or -1. */
export function firstNonFinite(g: usize, n: i32): i32 {
  for (let i = 0; i < n; i++) {
    const x = load<f32>(g + ((<usize>i) << 2));
    if (x - x !== 0) return i;
  }
  return -1;
}

/**
 * Pass 2 of A2S for one tensor, with the host's per-step constants folded in:
 *   gi = c*g; m = beta1*m + (1-beta1)*gi; v = beta2*v + (1-beta2)*gi^2; buf = momentum*buf + gi;
 *   p -= adamRate*m / (sqrt(v*invBc2) + epsilon) + sgdRate*buf + decayRate*p; prev = gi
 * where adamRate = w*lrAdam/bc1, invBc2 = 1/bc2, sgdRate = (1-w)*lrSgd and
 * decayRate = (w*lrAdam + (1-w)*lrSgd)*weightDecay. Two vectors per iteration: the loop's
 * own instructions then cost less per element, and the two chains overlap.
 */
export function a2sUpdate(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  buf: usize,
  prev: usize,
  n: i32,
  c: f32,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  momentum: f32,
  epsilon: f32,
  adamRate: f32,
  invBc2: f32,
  sgdRate: f32,
  decayRate: f32,
): void {
  const cv = f32x4.splat(c);
  const b1 = f32x4.splat(beta1);
  const a1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2);
  const a2 = f32x4.splat(oneMinusBeta2);
  const mu = f32x4.splat(momentum);
  const ep = f32x4.splat(epsilon);
  const ar = f32x4.splat(adamRate);
  const ib = f32x4.splat(invBc2);
  const sr = f32x4.splat(sgdRate);
  const dr = f32x4.splat(decayRate);
  const pairBytes = (<usize>(n & ~7)) << 2;
  for (let o: usize = 0; o < pairBytes; o += 32) {
    const g0 = f32x4.mul(cv, v128.load(g + o));
    const g1 = f32x4.mul(cv, v128.load(g + o, 16));
    const m0 = mix(b1, v128.load(m + o), a1, g0);
    const m1 = mix(b1, v128.load(m + o, 16), a1, g1);
    const v0 = mix(b2, v128.load(v + o), a2, f32x4.mul(g0, g0));
    const v1 = mix(b2, v128.load(v + o, 16), a2, f32x4.mul(g1, g1));
    const u0 = f32x4.add(f32x4.mul(mu, v128.load(buf + o)), g0);
    const u1 = f32x4.add(f32x4.mul(mu, v128.load(buf + o, 16)), g1);
    const s0 = adamDirection(ar, m0, v0, ib, ep);
    const s1 = adamDirection(ar, m1, v1, ib, ep);
    const p0 = v128.load(p + o);
    const p1 = v128.load(p + o, 16);
    v128.store(m + o, m0);
    v128.store(m + o, m1, 16);
    v128.store(v + o, v0);
    v128.store(v + o, v1, 16);
    v128.store(buf + o, u0);
    v128.store(buf + o, u1, 16);
    v128.store(prev + o, g0);
    v128.store(prev + o, g1, 16);
    v128.store(p + o, decayed(p0, f32x4.add(s0, f32x4.mul(sr, u0)), dr));
    v128.store(p + o, decayed(p1, f32x4.add(s1, f32x4.mul(sr, u1)), dr), 16);
  }
  for (let o = pairBytes; o < (<usize>n) << 2; o += 4) {
    const gi = c * load<f32>(g + o);
    const mi = beta1 * load<f32>(m + o) + oneMinusBeta1 * gi;
    const vi = beta2 * load<f32>(v + o) + oneMinusBeta2 * (gi * gi);
    const ui = momentum * load<f32>(buf + o) + gi;
    const si = (adamRate * mi) / (sqrt(vi * invBc2) + epsilon);
    const pi = load<f32>(p + o);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(buf + o, ui);
    store<f32>(prev + o, gi);
    store<f32>(p + o, pi - (si + sgdRate * ui + decayRate * pi));
  }
}

/**
 * Adam for one tensor: gi = c*g; m = beta1*m + (1-beta1)*gi; v = beta2*v + (1-beta2)*gi^2;
 * p -= rate*m / (sqrt(v*invBc2) + epsilon) + decayRate*p, where rate = lr/bc1 and
 * decayRate = lr*weightDecay.
 */
export function adamUpdate(
  p: usize,
  g: usize,
  m: usize,
  v: usize,
  n: i32,
  c: f32,
  beta1: f32,
  oneMinusBeta1: f32,
  beta2: f32,
  oneMinusBeta2: f32,
  epsilon: f32,
  rate: f32,
  invBc2: f32,
  decayRate: f32,
): void {
  const cv = f32x4.splat(c);
  const b1 = f32x4.splat(beta1);
  const a1 = f32x4.splat(oneMinusBeta1);
  const b2 = f32x4.splat(beta2);
  const a2 = f32x4.splat(oneMinusBeta2);
  const ep = f32x4.splat(epsilon);
  const ar = f32x4.splat(rate);
  const ib = f32x4.splat(invBc2);
  const dr = f32x4.splat(decayRate);
  const pairBytes = (<usize>(n & ~7)) << 2;
  for (let o: usize = 0; o < pairBytes; o += 32) {
    const g0 = f32x4.mul(cv, v128.load(g + o));
    const g1 = f32x4.mul(cv, v128.load(g + o, 16));
    const m0 = mix(b1, v128.load(m + o), a1, g0);
    const m1 = mix(b1, v128.load(m + o, 16), a1, g1);
    const v0 = mix(b2, v128.load(v + o), a2, f32x4.mul(g0, g0));
    const v1 = mix(b2, v128.load(v + o, 16), a2, f32x4.mul(g1, g1));
    const s0 = adamDirection(ar, m0, v0, ib, ep);
    const s1 = adamDirection(ar, m1, v1, ib, ep);
    const p0 = v128.load(p + o);
    const p1 = v128.load(p + o, 16);
    v128.store(m + o, m0);
    v128.store(m + o, m1, 16);
    v128.store(v + o, v0);
    v128.store(v + o, v1, 16);
    v128.store(p + o, decayed(p0, s0, dr));
    v128.store(p + o, decayed(p1, s1, dr), 16);
  }
  for (let o = pairBytes; o < (<usize>n) << 2; o += 4) {
    const gi = c * load<f32>(g + o);
    const mi = beta1 * load<f32>(m + o) + oneMinusBeta1 * gi;
    const vi = beta2 * load<f32>(v + o) + oneMinusBeta2 * (gi * gi);
    const pi = load<f32>(p + o);
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(p + o, pi - ((rate * mi) / (sqrt(vi * invBc2) + epsilon) + decayRate * pi));
  }
}

/**
 * RMSProp for one tensor: gi = c*g; v = decay*v + (1-decay)*gi^2;
 * p -= rate*gi / (sqrt(v) + epsilon) + decayRate*p, where rate = lr and decayRate = lr*weightDecay.
 */
export function rmspropUpdate(
  p: usize,
  g: usize,
  v: usize,
  n: i32,
  c: f32,
  decay: f32,
  oneMinusDecay: f32,
  epsilon: f32,
  rate: f32,
  decayRate: f32,
): void {
  const cv = f32x4.splat(c);
  const dc = f32x4.splat(decay);
  const a = f32x4.splat(oneMinusDecay);
  const ep = f32x4.splat(epsilon);
  const r = f32x4.splat(rate);
  const dr = f32x4.splat(decayRate);
  const pairBytes = (<usize>(n & ~7)) << 2;
  for (let o: usize = 0; o < pairBytes; o += 32) {
    const g0 = f32x4.mul(cv, v128.load(g + o));
    const g1 = f32x4.mul(cv, v128.load(g + o, 16));
    const v0 = mix(dc, v128.load(v + o), a, f32x4.mul(g0, g0));
    const v1 = mix(dc, v128.load(v + o, 16), a, f32x4.mul(g1, g1));
    const s0 = f32x4.div(f32x4.mul(r, g0), f32x4.add(f32x4.sqrt(v0), ep));
    const s1 = f32x4.div(f32x4.mul(r, g1), f32x4.add(f32x4.sqrt(v1), ep));
    const p0 = v128.load(p + o);
    const p1 = v128.load(p + o, 16);
    v128.store(v + o, v0);
    v128.store(v + o, v1, 16);
    v128.store(p + o, decayed(p0, s0, dr));
    v128.store(p + o, decayed(p1, s1, dr), 16);
  }
  for (let o = pairBytes; o < (<usize>n) << 2; o += 4) {
    const gi = c * load<f32>(g + o);
    const vi = decay * load<f32>(v + o) + oneMinusDecay * (gi * gi);
    const pi = load<f32>(p + o);
    store<f32>(v + o, vi);
    store<f32>(p + o, pi - ((rate * gi) / (sqrt(vi) + epsilon) + decayRate * pi));
  }
}

/**
 * SGD with momentum in the seed's form for one tensor: buf = momentum*buf + c*g;
 * p -= rate*buf + decayRate*p, where rate = lr and decayRate = lr*weightDecay.
 */
export function sgdMomentumUpdate(
  p: usize,
  g: usize,
  buf: usize,
  n: i32,
  c: f32,
  momentum: f32,
  rate: f32,
  decayRate: f32,
): void {
  const cv = f32x4.splat(c);
  const mu = f32x4.splat(momentum);
  const r = f32x4.splat(rate);
  const dr = f32x4.splat(decayRate);
  const pairBytes = (<usize>(n & ~7)) << 2;
  for (let o: usize = 0; o < pairBytes; o += 32) {
    const u0 = mix(mu, v128.load(buf + o), cv, v128.load(g + o));
    const u1 = mix(mu, v128.load(buf + o, 16), cv, v128.load(g + o, 16));
    const p0 = v128.load(p + o);
    const p1 = v128.load(p + o, 16);
    v128.store(buf + o, u0);
    v128.store(buf + o, u1, 16);
    v128.store(p + o, decayed(p0, f32x4.mul(r, u0), dr));
    v128.store(p + o, decayed(p1, f32x4.mul(r, u1), dr), 16);
  }
  for (let o = pairBytes; o < (<usize>n) << 2; o += 4) {
    const ui = momentum * load<f32>(buf + o) + c * load<f32>(g + o);
    const pi = load<f32>(p + o);
    store<f32>(buf + o, ui);
    store<f32>(p + o, pi - (rate * ui + decayRate * pi));
  }
}
