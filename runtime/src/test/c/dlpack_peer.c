/*
 * A native DLPack peer for ingot's tests: it produces malloc'd tensors whose deleter counts its calls, and consumes
 * tensors ingot exports (reads them through their strides, honours READ_ONLY, calls the deleter, also from a
 * thread the JVM has never seen). The structures are declared here from the DLPack 1.1 ABI.
 * Built by the tests with the system C compiler: cc -shared -fPIC -pthread.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct { int32_t device_type; int32_t device_id; } peer_device;
typedef struct { uint8_t code; uint8_t bits; uint16_t lanes; } peer_dtype;
typedef struct {
    void *data;
    peer_device device;
    int32_t ndim;
    peer_dtype dtype;
    int64_t *shape;
    int64_t *strides;
    uint64_t byte_offset;
} peer_tensor;
typedef struct peer_versioned {
    struct { uint32_t major; uint32_t minor; } version;
    void *manager_ctx;
    void (*deleter)(struct peer_versioned *self);
    uint64_t flags;
    peer_tensor dl_tensor;
} peer_versioned;
typedef struct peer_legacy {
    peer_tensor dl_tensor;
    void *manager_ctx;
    void (*deleter)(struct peer_legacy *self);
} peer_legacy;

#define PEER_READ_ONLY 1u

static atomic_int deleter_calls;

/* What a produced tensor owns: its data block and its shape and strides arrays. */
typedef struct { void *block; int64_t shape[8]; int64_t strides[8]; } peer_context;

int peer_deleter_calls(void) { return atomic_load(&deleter_calls); }

static void free_context(void *ctx) {
    peer_context *context = ctx;
    free(context->block);
    free(context);
}

static void delete_versioned(peer_versioned *self) {
    atomic_fetch_add(&deleter_calls, 1);
    free_context(self->manager_ctx);
    free(self);
}

static void delete_legacy(peer_legacy *self) {
    atomic_fetch_add(&deleter_calls, 1);
    free_context(self->manager_ctx);
    free(self);
}

/* Fills a tensor's element at logical index i with i * scale, following its strides (or row-major). */
static int fill(peer_tensor *t, double scale) {
    int64_t count = 1;
    for (int d = 0; d < t->ndim; d++) count *= t->shape[d];
    char *base = (char *) t->data + t->byte_offset;
    int64_t index[8] = {0};
    for (int64_t i = 0; i < count; i++) {
        int64_t offset = 0, stride = 1;
        for (int d = t->ndim - 1; d >= 0; d--) {
            offset += index[d] * (t->strides ? t->strides[d] : stride);
            stride *= t->shape[d];
        }
        if (t->dtype.bits == 32) ((float *) base)[offset] = (float) (i * scale);
        else if (t->dtype.bits == 64) ((double *) base)[offset] = i * scale;
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++index[d] < t->shape[d]) break;
            index[d] = 0;
        }
    }
    return 0;
}

/*
 * A malloc'd tensor: element i (logical, row-major order) holds i * 0.5. strides may be NULL (row-major).
 * The data block is big enough for the strides given plus byte_offset; dtype bits 32 or 64 are filled.
 */
static peer_context *make_context(peer_tensor *t, int32_t device_type, uint8_t code, uint8_t bits, int32_t ndim,
                                  const int64_t *shape, const int64_t *strides, uint64_t byte_offset) {
    peer_context *context = calloc(1, sizeof(peer_context));
    int64_t reach = 0, count = 1;
    for (int d = 0; d < ndim; d++) {
        context->shape[d] = shape[d];
        if (strides) context->strides[d] = strides[d];
        count *= shape[d];
        reach += (shape[d] - 1) * (strides ? strides[d] : 1);
    }
    if (!strides) reach = count - 1;
    size_t bytes = byte_offset + (size_t) (reach + 1) * (bits / 8) + 64;
    context->block = calloc(1, bytes);
    t->data = context->block;
    t->device.device_type = device_type;
    t->device.device_id = 0;
    t->ndim = ndim;
    t->dtype.code = code;
    t->dtype.bits = bits;
    t->dtype.lanes = 1;
    t->shape = context->shape;
    t->strides = strides ? context->strides : NULL;
    t->byte_offset = byte_offset;
    if (code == 2 && (bits == 32 || bits == 64) && device_type == 1) fill(t, 0.5);
    return context;
}

peer_versioned *peer_make_versioned(uint32_t major, int32_t device_type, uint8_t code, uint8_t bits, int32_t ndim,
                                    const int64_t *shape, const int64_t *strides, uint64_t byte_offset,
                                    uint64_t flags) {
    peer_versioned *m = calloc(1, sizeof(peer_versioned));
    m->version.major = major;
    m->version.minor = 1;
    m->manager_ctx = make_context(&m->dl_tensor, device_type, code, bits, ndim, shape, strides, byte_offset);
    m->deleter = delete_versioned;
    m->flags = flags;
    return m;
}

peer_legacy *peer_make_legacy(int32_t ndim, const int64_t *shape) {
    peer_legacy *m = calloc(1, sizeof(peer_legacy));
    m->manager_ctx = make_context(&m->dl_tensor, 1, 2, 32, ndim, shape, NULL, 0);
    m->deleter = delete_legacy;
    return m;
}

/* The address the tensor's first element lives at. */
void *peer_first_element(peer_versioned *m) { return (char *) m->dl_tensor.data + m->dl_tensor.byte_offset; }
void *peer_legacy_first_element(peer_legacy *m) { return (char *) m->dl_tensor.data + m->dl_tensor.byte_offset; }

/*
 * The consumer side. Checks what a consumer must check (version, CPU, float type), then returns the sum over the
 * elements of value * (logical index + 1), read through the strides; -1e300 when something is not as required.
 */
double peer_weighted_sum(peer_versioned *m) {
    if (m->version.major != 1 || m->dl_tensor.device.device_type != 1 || m->dl_tensor.dtype.code != 2
        || m->dl_tensor.dtype.lanes != 1 || m->dl_tensor.strides == NULL) {
        return -1e300;
    }
    peer_tensor *t = &m->dl_tensor;
    int64_t count = 1;
    for (int d = 0; d < t->ndim; d++) count *= t->shape[d];
    char *base = (char *) t->data + t->byte_offset;
    int64_t index[8] = {0};
    double sum = 0;
    for (int64_t i = 0; i < count; i++) {
        int64_t offset = 0;
        for (int d = 0; d < t->ndim; d++) offset += index[d] * t->strides[d];
        double v = t->dtype.bits == 32 ? ((float *) base)[offset] : ((double *) base)[offset];
        sum += v * (double) (i + 1);
        for (int d = t->ndim - 1; d >= 0; d--) {
            if (++index[d] < t->shape[d]) break;
            index[d] = 0;
        }
    }
    return sum;
}

/* Writes 42 into the first element unless the tensor is flagged READ_ONLY; returns 1 when it wrote. */
int peer_write_first_unless_read_only(peer_versioned *m) {
    if (m->flags & PEER_READ_ONLY) return 0;
    char *base = (char *) m->dl_tensor.data + m->dl_tensor.byte_offset;
    if (m->dl_tensor.dtype.bits == 32) *(float *) base = 42.0f;
    else *(double *) base = 42.0;
    return 1;
}

uint64_t peer_flags(peer_versioned *m) { return m->flags; }
uint32_t peer_major(peer_versioned *m) { return m->version.major; }
int64_t peer_stride(peer_versioned *m, int d) { return m->dl_tensor.strides[d]; }
void *peer_data(peer_versioned *m) { return m->dl_tensor.data; }

/* Calls the tensor's deleter, as a consumer does when done. */
void peer_delete(peer_versioned *m) {
    if (m->deleter) m->deleter(m);
}

static void *delete_in_thread(void *arg) {
    peer_delete(arg);
    return NULL;
}

/* Calls the deleter from a new native thread, which the JVM has never seen; returns 0 on success. */
int peer_delete_on_new_thread(peer_versioned *m) {
    pthread_t thread;
    if (pthread_create(&thread, NULL, delete_in_thread, m) != 0) return -1;
    return pthread_join(thread, NULL);
}
