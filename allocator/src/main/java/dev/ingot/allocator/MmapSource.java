package dev.ingot.allocator;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Blocks mapped with {@code mmap} (private, anonymous, read-write) and unmapped with {@code munmap} when given back,
 * through FFM downcalls: a returned block's pages leave the process at once, whatever the C library's allocator
 * would have kept. Each block has a shared {@link Arena} of its own, closed before the unmap, so that a segment of
 * a returned block throws instead of touching unmapped memory. Pages are zero until written (the kernel's
 * guarantee). Linux on x86-64 or AArch64 only: see {@link #available()}.
 *
 * <p>Thread-safe: the mapping table is concurrent and the counters atomic.
 */
final class MmapSource implements SegmentSource {
    private final ConcurrentHashMap<Long, Mapping> mappings = new ConcurrentHashMap<>();
    private final AtomicLong mappedBytes = new AtomicLong();
    private final AtomicLong maps = new AtomicLong();
    private final AtomicLong unmaps = new AtomicLong();

    /** One block: its scope, the mapped start and the mapped length (whole pages). */
    private record Mapping(Arena scope, long address, long length) {
    }

    /**
     * A source that maps every block.
     *
     * @throws UnsupportedOperationException when mmap cannot be used here, with the reason
     */
    MmapSource() {
        if (!available()) {
            throw new UnsupportedOperationException("mmap source: " + unavailableReason());
        }
    }

    /** True when mmap and munmap can be called here (Linux on x86-64 or AArch64, native access granted). */
    static boolean available() {
        return Syscalls.INSTANCE.reason == null;
    }

    /** Why mmap cannot be used here, or null when it can. */
    static String unavailableReason() {
        return Syscalls.INSTANCE.reason;
    }

    @Override
    public MemorySegment reserve(long size, long alignment) {
        SourceChecks.checkReserve(size, alignment);
        Syscalls sys = Syscalls.INSTANCE;
        long length = Sizes.alignUp(size, sys.pageSize);
        boolean overAligned = alignment > sys.pageSize;
        long mapped = overAligned ? length + alignment : length;
        long address = sys.map(mapped);
        if (overAligned) { // trim the head and the tail that the alignment did not need
            long start = Sizes.alignUp(address, alignment);
            if (start > address) {
                sys.unmap(address, start - address);
            }
            long tail = address + mapped - (start + length);
            if (tail > 0) {
                sys.unmap(start + length, tail);
            }
            address = start;
        }
        Arena scope = Arena.ofShared();
        MemorySegment block = sized(address, size, scope);
        mappings.put(address, new Mapping(scope, address, length));
        mappedBytes.addAndGet(length);
        maps.incrementAndGet();
        return block;
    }

    @SuppressWarnings("restricted") // the mapped address becomes a segment of the block's own scope
    private static MemorySegment sized(long address, long size, Arena scope) {
        return MemorySegment.ofAddress(address).reinterpret(size, scope, null);
    }

    @Override
    public void giveBack(MemorySegment block) {
        Mapping mapping = mappings.remove(block.address());
        if (mapping == null) {
            throw new IllegalArgumentException("block: expected a live block of this mmap source, got one at 0x"
                    + Long.toHexString(block.address()));
        }
        unmap(mapping);
    }

    /** Closes the block's scope (no access can be in flight after it) and only then unmaps its pages. */
    private void unmap(Mapping mapping) {
        mapping.scope().close();
        Syscalls.INSTANCE.unmap(mapping.address(), mapping.length());
        mappedBytes.addAndGet(-mapping.length());
        unmaps.incrementAndGet();
    }

    @Override
    public void close() {
        List<Long> addresses = new ArrayList<>(mappings.keySet());
        for (Long address : addresses) {
            Mapping mapping = mappings.remove(address);
            if (mapping != null) {
                unmap(mapping);
            }
        }
    }

    /** Bytes mapped now (whole pages), as the kernel counts them. */
    long mappedBytes() {
        return mappedBytes.get();
    }

    /** Blocks mapped since creation. */
    long maps() {
        return maps.get();
    }

    /** Blocks unmapped since creation. */
    long unmaps() {
        return unmaps.get();
    }

    /** Blocks mapped now. */
    int liveBlocks() {
        return mappings.size();
    }

    @Override
    public String description() {
        return "mmap";
    }

    /** The downcalls, looked up once; {@code reason} says why there are none. */
    private static final class Syscalls {
        static final Syscalls INSTANCE = new Syscalls();
        private static final int PROT_READ_WRITE = 0x1 | 0x2;
        /** MAP_PRIVATE | MAP_ANONYMOUS, the same on Linux x86-64 and AArch64. */
        private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
        private static final int SC_PAGESIZE = 30;

        final String reason;
        final long pageSize;
        private final MethodHandle mmap;
        private final MethodHandle munmap;
        private final StructLayout callState;
        private final VarHandle errno;

        @SuppressWarnings("restricted") // downcalls to the C library
        private Syscalls() {
            String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
            String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
            MethodHandle map = null;
            MethodHandle unmap = null;
            StructLayout state = null;
            VarHandle err = null;
            long page = 4096;
            String why = null;
            if (!os.startsWith("linux")) {
                why = "mmap flags are known for Linux only, not " + os;
            } else if (!arch.equals("amd64") && !arch.equals("x86_64") && !arch.equals("aarch64")) {
                why = "mmap flags are known for x86-64 and AArch64 only, not " + arch;
            } else {
                try {
                    Linker linker = Linker.nativeLinker();
                    SymbolLookup libc = linker.defaultLookup();
                    Linker.Option errnoOption = Linker.Option.captureCallState("errno");
                    state = Linker.Option.captureStateLayout();
                    err = state.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
                    map = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                                    ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                                    ValueLayout.JAVA_LONG), errnoOption);
                    unmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG),
                            errnoOption);
                    MethodHandle sysconf = linker.downcallHandle(libc.find("sysconf").orElseThrow(),
                            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                    page = (long) sysconf.invokeExact(SC_PAGESIZE);
                    if (page <= 0 || Long.bitCount(page) != 1) {
                        why = "sysconf(_SC_PAGESIZE) gave " + page;
                    }
                } catch (Throwable e) { // no symbol, or native access refused to this module
                    why = "cannot link mmap/munmap: " + e;
                }
            }
            this.reason = why;
            this.pageSize = page;
            this.mmap = map;
            this.munmap = unmap;
            this.callState = state;
            this.errno = err;
        }

        /** Maps {@code length} bytes of fresh zero pages; OutOfMemoryError (with errno) when the kernel refuses. */
        long map(long length) {
            try (Arena call = Arena.ofConfined()) {
                MemorySegment state = call.allocate(callState);
                long address = (long) mmap.invokeExact(state, 0L, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS,
                        -1, 0L);
                if (address == -1L) {
                    throw new OutOfMemoryError("mmap of " + length + " bytes failed: errno "
                            + (int) errno.get(state, 0L));
                }
                return address;
            } catch (OutOfMemoryError e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException("mmap downcall failed", e);
            }
        }

        /** Unmaps {@code length} bytes at {@code address}; a refusal means a bookkeeping bug, so it throws. */
        void unmap(long address, long length) {
            int result;
            int code;
            try (Arena call = Arena.ofConfined()) {
                MemorySegment state = call.allocate(callState);
                result = (int) munmap.invokeExact(state, address, length);
                code = (int) errno.get(state, 0L);
            } catch (Throwable e) {
                throw new IllegalStateException("munmap downcall failed", e);
            }
            if (result != 0) {
                throw new IllegalStateException("munmap of " + length + " bytes at 0x" + Long.toHexString(address)
                        + " failed: errno " + code);
            }
        }
    }
}
