package dev.ingot.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** The {@link OpProvider}s on the module or class path, loaded once. */
final class OpProviders {
    static final OpProviders INSTANCE = new OpProviders();

    private volatile List<OpProvider> providers;

    private OpProviders() {
    }

    <T> List<T> registrations(Class<T> type) {
        List<T> out = new ArrayList<>();
        for (OpProvider provider : providers()) {
            for (Object registration : provider.registrations()) {
                if (type.isInstance(registration)) {
                    out.add(type.cast(registration));
                }
            }
        }
        return List.copyOf(out);
    }

    private List<OpProvider> providers() {
        List<OpProvider> loaded = providers;
        if (loaded == null) {
            try {
                loaded = ServiceLoader.load(OpProvider.class, OpProviders.class.getClassLoader()).stream()
                        .map(ServiceLoader.Provider::get).toList();
            } catch (ServiceConfigurationError e) {
                throw new IllegalStateException("cannot load the OpProvider providers: " + e.getMessage(), e);
            }
            providers = loaded;
        }
        return loaded;
    }
}
