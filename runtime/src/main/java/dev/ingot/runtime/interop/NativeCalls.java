package dev.ingot.runtime.interop;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The few native calls the protocols need: {@code calloc}/{@code free} for the structures ingot hands out, calls
 * through a foreign function pointer {@code void (*)(void *)} (a DLPack deleter, an Arrow release callback), and
 * upcall stubs of that same shape. Restricted methods: the module needs {@code --enable-native-access}.
 */
@SuppressWarnings("restricted") // deliberate, and named above: the module runs with native access
final class NativeCalls {

    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle CALLOC = LINKER.downcallHandle(
            LINKER.defaultLookup().find("calloc").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle FREE = LINKER.downcallHandle(
            LINKER.defaultLookup().find("free").orElseThrow(),
            FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    private static final FunctionDescriptor VOID_OF_POINTER = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS);
    /** Calls a function pointer taking one pointer: the target comes first. */
    private static final MethodHandle CALL_POINTER_FUNCTION = LINKER.downcallHandle(VOID_OF_POINTER);

    private NativeCalls() {
    }

    /**
     * Zeroed native memory from {@code calloc}, to be given back with {@link #free(long)}.
     *
     * @throws OutOfMemoryError when calloc returns NULL
     */
    @SuppressWarnings("restricted")
    static MemorySegment calloc(long bytes) {
        MemorySegment raw;
        try {
            raw = (MemorySegment) CALLOC.invokeExact(1L, bytes);
        } catch (Throwable t) {
            throw new IllegalStateException("calloc failed", t);
        }
        if (raw.address() == 0) {
            throw new OutOfMemoryError("calloc of " + bytes + " bytes returned NULL");
        }
        return raw.reinterpret(bytes);
    }

    /** Frees memory from {@link #calloc(long)}. */
    static void free(long address) {
        try {
            FREE.invokeExact(MemorySegment.ofAddress(address));
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }

    /** Calls {@code function(argument)} where {@code function} is a native {@code void (*)(void *)}; NULL is skipped. */
    static void callPointerFunction(long function, long argument) {
        if (function == 0) {
            return;
        }
        try {
            CALL_POINTER_FUNCTION.invokeExact(MemorySegment.ofAddress(function), MemorySegment.ofAddress(argument));
        } catch (Throwable t) {
            throw new IllegalStateException("native callback at 0x" + Long.toHexString(function) + " failed", t);
        }
    }

    /**
     * A native {@code void (*)(void *)} that calls {@code owner.name(MemorySegment)}; lives as long as the JVM.
     * The Java method must never throw: an exception escaping an upcall ends the JVM.
     */
    @SuppressWarnings("restricted")
    static MemorySegment upcall(Class<?> owner, String name) {
        try {
            MethodHandle target = MethodHandles.lookup().findStatic(owner, name,
                    MethodType.methodType(void.class, MemorySegment.class));
            return LINKER.upcallStub(target, VOID_OF_POINTER, Arena.global());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("no upcall target " + owner.getName() + "." + name, e);
        }
    }

    /**
     * The tensor's memory, which native code is to read at its address.
     *
     * @throws IllegalArgumentException when it is a heap segment (an array has no address native code can use)
     */
    static MemorySegment nativeData(dev.ingot.runtime.Tensor tensor) {
        MemorySegment data = tensor.segment();
        if (!data.isNative()) {
            throw new IllegalArgumentException("tensor: expected off-heap memory, got a heap segment of " + tensor.type()
                    + "; export tensor.convertTo(tensor.layout()), an off-heap copy");
        }
        return data;
    }

    /**
     * {@code address} as a segment of {@code bytes} bytes (reading a structure or array native code handed over).
     *
     * @throws IllegalArgumentException for a NULL address with {@code bytes > 0}, which would crash the JVM if read
     */
    @SuppressWarnings("restricted")
    static MemorySegment at(long address, long bytes) {
        if (address == 0 && bytes > 0) {
            throw new IllegalArgumentException("expected a pointer to " + bytes + " bytes, got NULL");
        }
        return MemorySegment.ofAddress(address).reinterpret(bytes);
    }
}
