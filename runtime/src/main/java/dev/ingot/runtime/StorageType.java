package dev.ingot.runtime;

/** How long a tensor's memory lives, as in MNN's {@code Backend::StorageType}. */
public enum StorageType {
    /** Lives as long as the pipeline: parameters, optimizer state, pipeline inputs and outputs. */
    STATIC,
    /** Acquired and released during resize, so later ops reuse earlier ops' memory. */
    DYNAMIC,
    /** Dynamic, but never shares memory with another tensor. */
    DYNAMIC_SEPARATE
}
