package dev.ingot.ops.grad;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Heap bytes allocated by the current thread, through {@code com.sun.management.ThreadMXBean} looked up
 * reflectively: the ops module does not read the management modules, its tests run inside it.
 */
final class ThreadHeap {
    private static final MethodHandle ALLOCATED = lookUp();

    private ThreadHeap() {
    }

    private static MethodHandle lookUp() {
        try {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            Class<?> factory = Class.forName("java.lang.management.ManagementFactory");
            Object bean = lookup.findStatic(factory, "getThreadMXBean",
                    MethodType.methodType(Class.forName("java.lang.management.ThreadMXBean"))).invoke();
            Class<?> beanType = Class.forName("com.sun.management.ThreadMXBean");
            return lookup.findVirtual(beanType, "getCurrentThreadAllocatedBytes", MethodType.methodType(long.class))
                    .bindTo(bean);
        } catch (Throwable e) {
            throw new IllegalStateException("com.sun.management.ThreadMXBean is needed to count heap bytes", e);
        }
    }

    /** Bytes the current thread has allocated so far. */
    static long allocated() {
        try {
            return (long) ALLOCATED.invokeExact();
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }
}
