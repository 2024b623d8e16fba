/*
 * The hardware limit of the bench: the fused A2S step (and Adam's) as a plain C loop over
 * float32 arrays on one thread, compiled at bench time with the machine's C compiler
 * (-O3 -march=native -fno-math-errno). Every adapter's step time is compared with it.
 *
 * The step is @a2s/typed's fused kernel: pass 1 sums (c*g - prev)^2 over all tensors in
 * double (a non-finite gradient makes the sum non-finite, and only then are the gradients
 * searched); pass 2 updates m, v, buf and the parameters in one loop per tensor and keeps
 * c*g as prev. Pass 2 computes in float, with the bias corrections and rates folded into
 * host scalars, which is what a kernel built for speed does (the bench's tests hold the
 * results to a double reference within float32 rounding).
 *
 * Written so that gcc vectorises every loop without -ffast-math: the double sum runs in
 * LANES independent partial sums, so no reassociation is needed. -fno-math-errno only lets
 * sqrtf be one instruction (C's sqrtf must otherwise set errno for negative inputs).
 *
 *   fused-step time LEN[,LEN...] ROUNDS STEPS  one JSON line: ms of every timed A2S and Adam step
 *   fused-step replay                          runs steps given on stdin, writes the state
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { LANES = 8 };

typedef struct {
  size_t n;
  float *p, *g, *m, *v, *buf, *prev;
} tensor;

/* Options of one step as the host holds them (double, as JavaScript numbers are). */
typedef struct {
  double lr_adam, lr_sgd, beta1, beta2, momentum, epsilon, curvature_k, w, weight_decay, clip;
} options;

/* Pass 2's per-step constants, folded on the host once per step (Adam uses a subset). */
typedef struct {
  float clip, beta1, one_minus_beta1, beta2, one_minus_beta2, momentum, epsilon;
  float adam_rate;   /* w * lr_adam_eff / bc1 */
  float inv_bc2;     /* 1 / bc2 */
  float sgd_rate;    /* (1 - w) * lr_sgd_eff */
  float decay_rate;  /* (w * lr_adam_eff + (1 - w) * lr_sgd_eff) * weight_decay */
} a2s_consts;

static double diff_squares(const float *restrict g, const float *restrict prev, size_t n, float c) {
  double acc[LANES] = {0};
  size_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    for (int j = 0; j < LANES; j++) {
      double d = (double)(c * g[i + j]) - (double)prev[i + j];
      acc[j] += d * d;
    }
  }
  double sum = 0;
  for (; i < n; i++) {
    double d = (double)(c * g[i]) - (double)prev[i];
    sum += d * d;
  }
  for (int j = 0; j < LANES; j++) sum += acc[j];
  return sum;
}

static size_t first_non_finite(const float *g, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isfinite(g[i])) return i;
  return n;
}

/* Arrays as restrict parameters: gcc honours restrict there (not on local copies), and
   without it the loop would need a run-time overlap check per pair of arrays. */
static void a2s_update(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                       float *restrict v, float *restrict buf, float *restrict prev, a2s_consts k) {
  for (size_t i = 0; i < n; i++) {
    float gi = k.clip * g[i];
    float mi = k.beta1 * m[i] + k.one_minus_beta1 * gi;
    float vi = k.beta2 * v[i] + k.one_minus_beta2 * (gi * gi);
    float bi = k.momentum * buf[i] + gi;
    float adam = k.adam_rate * mi / (sqrtf(vi * k.inv_bc2) + k.epsilon);
    m[i] = mi;
    v[i] = vi;
    buf[i] = bi;
    prev[i] = gi;
    p[i] = p[i] - (adam + k.sgd_rate * bi + k.decay_rate * p[i]);
  }
}

static void adam_update(size_t n, float *restrict p, const float *restrict g, float *restrict m,
                        float *restrict v, a2s_consts k) {
  for (size_t i = 0; i < n; i++) {
    float gi = g[i];
    float mi = k.beta1 * m[i] + k.one_minus_beta1 * gi;
    float vi = k.beta2 * v[i] + k.one_minus_beta2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] - (k.adam_rate * mi / (sqrtf(vi * k.inv_bc2) + k.epsilon) + k.decay_rate * p[i]);
  }
}

/* One A2S step at count t (from 1); returns the curvature, or -1 (with the culprit's
   tensor and index) when a gradient is not finite, leaving everything unchanged. */
static double a2s_step(tensor *ts, size_t count, const options *o, int t, size_t bad[2]) {
  double curvature = 0;
  if (t > 1) {
    double sum = 0;
    for (size_t j = 0; j < count; j++) sum += diff_squares(ts[j].g, ts[j].prev, ts[j].n, (float)o->clip);
    curvature = sqrt(sum);
  }
  if (!isfinite(curvature) || t == 1) {
    for (size_t j = 0; j < count; j++) {
      size_t i = first_non_finite(ts[j].g, ts[j].n);
      if (i < ts[j].n) {
        bad[0] = j;
        bad[1] = i;
        return -1;
      }
    }
  }
  double scale = o->curvature_k == 0 ? 1 : 1 / (1 + o->curvature_k * curvature);
  double lr_a = o->lr_adam * scale, lr_s = o->lr_sgd * scale;
  double bc1 = 1 - pow(o->beta1, t), bc2 = 1 - pow(o->beta2, t);
  a2s_consts k = {
      .clip = (float)o->clip,
      .beta1 = (float)o->beta1,
      .one_minus_beta1 = (float)(1 - o->beta1),
      .beta2 = (float)o->beta2,
      .one_minus_beta2 = (float)(1 - o->beta2),
      .momentum = (float)o->momentum,
      .epsilon = (float)o->epsilon,
      .adam_rate = (float)(o->w * lr_a / bc1),
      .inv_bc2 = (float)(1 / bc2),
      .sgd_rate = (float)((1 - o->w) * lr_s),
      .decay_rate = (float)((o->w * lr_a + (1 - o->w) * lr_s) * o->weight_decay),
  };
  for (size_t j = 0; j < count; j++) a2s_update(ts[j].n, ts[j].p, ts[j].g, ts[j].m, ts[j].v, ts[j].buf, ts[j].prev, k);
  return curvature;
}

/* Adam reads beta1, beta2, epsilon, lr_adam (its learning rate) and weight_decay. */
static void adam_step(tensor *ts, size_t count, const options *o, int t) {
  double bc1 = 1 - pow(o->beta1, t), bc2 = 1 - pow(o->beta2, t);
  a2s_consts k = {
      .beta1 = (float)o->beta1,
      .one_minus_beta1 = (float)(1 - o->beta1),
      .beta2 = (float)o->beta2,
      .one_minus_beta2 = (float)(1 - o->beta2),
      .epsilon = (float)o->epsilon,
      .adam_rate = (float)(o->lr_adam / bc1),
      .inv_bc2 = (float)(1 / bc2),
      .decay_rate = (float)(o->lr_adam * o->weight_decay),
  };
  for (size_t j = 0; j < count; j++) adam_update(ts[j].n, ts[j].p, ts[j].g, ts[j].m, ts[j].v, k);
}

static float *floats(size_t n) {
  /* 64-byte aligned, like the allocations of a JavaScript engine's typed arrays or better. */
  float *a = aligned_alloc(64, ((n * sizeof(float) + 63) / 64) * 64);
  if (!a) {
    fprintf(stderr, "out of memory\n");
    exit(1);
  }
  memset(a, 0, n * sizeof(float));
  return a;
}

static void alloc_tensor(tensor *t, size_t n) {
  t->n = n;
  t->p = floats(n);
  t->g = floats(n);
  t->m = floats(n);
  t->v = floats(n);
  t->buf = floats(n);
  t->prev = floats(n);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Uniform in [-scale, scale), reproducible: xorshift32. */
static void fill(float *a, size_t n, float scale, uint32_t *state) {
  for (size_t i = 0; i < n; i++) {
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *state = x;
    a[i] = (float)((2.0 * x / 4294967296.0 - 1) * scale);
  }
}

/* The seed's defaults, in the Adam phase (w = 1), as the adapters' rows run. */
static const options DEFAULTS = {.lr_adam = 1e-3, .lr_sgd = 1e-2, .beta1 = 0.9, .beta2 = 0.999,
                                  .momentum = 0.9, .epsilon = 1e-8, .curvature_k = 0.05, .w = 1,
                                  .weight_decay = 0, .clip = 1};

/* Times A2S and Adam steps one after the other, as the bench times the adapters, over two
   gradient sets taken in turn (as the adapters' steppers do) so the curvature sees a real
   difference. */
static int time_steps(char *lens, int rounds, int steps) {
  size_t count = 1;
  for (char *c = lens; *c; c++) count += *c == ',';
  tensor *a2s = calloc(count, sizeof *a2s), *adam = calloc(count, sizeof *adam);
  float **grads[2] = {calloc(count, sizeof(float *)), calloc(count, sizeof(float *))};
  uint32_t state = 2463534242u;
  size_t total = 0;
  char *save = NULL;
  char *tok = strtok_r(lens, ",", &save);
  for (size_t j = 0; j < count; j++, tok = strtok_r(NULL, ",", &save)) {
    size_t n = strtoull(tok, NULL, 10);
    total += n;
    alloc_tensor(&a2s[j], n);
    alloc_tensor(&adam[j], n);
    /* g will point into the two shared gradient sets instead. */
    free(a2s[j].g);
    free(adam[j].g);
    fill(a2s[j].p, n, 0.05f, &state);
    memcpy(adam[j].p, a2s[j].p, n * sizeof(float));
    for (int s = 0; s < 2; s++) {
      grads[s][j] = floats(n);
      fill(grads[s][j], n, 0.01f, &state);
    }
  }
  double *a2s_ms = malloc(sizeof(double) * rounds * steps), *adam_ms = malloc(sizeof(double) * rounds * steps);
  size_t samples = 0, bad[2] = {0, 0};
  int t = 0;
  for (int r = 0; r < rounds; r++) {
    /* A few untimed steps per round bring the arrays back into the caches' state of a run. */
    for (int s = -2; s < steps; s++) {
      t++;
      for (size_t j = 0; j < count; j++) a2s[j].g = adam[j].g = grads[t & 1][j];
      double t0 = now_ms();
      if (a2s_step(a2s, count, &DEFAULTS, t, bad) < 0) return 1;
      double t1 = now_ms();
      adam_step(adam, count, &DEFAULTS, t);
      double t2 = now_ms();
      if (s >= 0) {
        a2s_ms[samples] = t1 - t0;
        adam_ms[samples] = t2 - t1;
        samples++;
      }
    }
  }
  printf("{\"params\":%zu,\"tensors\":%zu,\"a2sMs\":[", total, count);
  for (size_t i = 0; i < samples; i++) printf("%s%.6f", i ? "," : "", a2s_ms[i]);
  printf("],\"adamMs\":[");
  for (size_t i = 0; i < samples; i++) printf("%s%.6f", i ? "," : "", adam_ms[i]);
  printf("]}\n");
  return 0;
}

static void read_exact(void *dst, size_t bytes) {
  if (fread(dst, 1, bytes, stdin) != bytes) {
    fprintf(stderr, "replay: input ended early\n");
    exit(2);
  }
}

static void write_all(const void *src, size_t bytes) {
  if (fwrite(src, 1, bytes, stdout) != bytes) exit(3);
}

/*
 * Replay, little-endian on stdin: u32 algorithm (0 A2S, 1 Adam), u32 tensors, u32 steps,
 * u32 length per tensor, the 10 options as f64 (the order of `options`), the parameters
 * of every tensor as f32, then per step the gradients of every tensor as f32.
 * On stdout: per step an f64 (the curvature; -1 where a gradient was not finite, followed
 * by u32 tensor and index, and the replay stops there), then p, m, v, buf, prev of every
 * tensor as f32 (Adam: p, m, v).
 */
static int replay(void) {
  uint32_t head[3];
  read_exact(head, sizeof head);
  uint32_t algorithm = head[0], count = head[1], steps = head[2];
  tensor *ts = calloc(count, sizeof *ts);
  for (uint32_t j = 0; j < count; j++) {
    uint32_t n;
    read_exact(&n, sizeof n);
    alloc_tensor(&ts[j], n);
  }
  options o;
  read_exact(&o, sizeof o);
  for (uint32_t j = 0; j < count; j++) read_exact(ts[j].p, ts[j].n * sizeof(float));
  for (uint32_t t = 1; t <= steps; t++) {
    for (uint32_t j = 0; j < count; j++) read_exact(ts[j].g, ts[j].n * sizeof(float));
    if (algorithm == 1) {
      adam_step(ts, count, &o, (int)t);
      continue;
    }
    size_t bad[2] = {0, 0};
    double curvature = a2s_step(ts, count, &o, (int)t, bad);
    write_all(&curvature, sizeof curvature);
    if (curvature < 0) {
      uint32_t where[2] = {(uint32_t)bad[0], (uint32_t)bad[1]};
      write_all(where, sizeof where);
      return 0;
    }
  }
  for (uint32_t j = 0; j < count; j++) {
    float *arrays[5] = {ts[j].p, ts[j].m, ts[j].v, ts[j].buf, ts[j].prev};
    for (int a = 0; a < (algorithm == 1 ? 3 : 5); a++) write_all(arrays[a], ts[j].n * sizeof(float));
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "time") == 0) return time_steps(argv[2], atoi(argv[3]), atoi(argv[4]));
  if (argc == 2 && strcmp(argv[1], "replay") == 0) return replay();
  fprintf(stderr, "usage: fused-step time LEN[,LEN...] ROUNDS STEPS | fused-step replay\n");
  return 2;
}
