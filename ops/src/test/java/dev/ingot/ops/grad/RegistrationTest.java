package dev.ingot.ops.grad;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.MathOpProvider;
import dev.ingot.ops.NormOpProvider;
import dev.ingot.ops.math.MathOps;
import dev.ingot.runtime.OpCreator;
import dev.ingot.runtime.OpProvider;
import dev.ingot.runtime.OpRegistry;
import dev.ingot.runtime.express.GradRegistry;
import dev.ingot.runtime.express.OpGrad;
import dev.ingot.runtime.express.ReferenceEvaluator;
import dev.ingot.runtime.express.ReferenceOp;
import dev.ingot.runtime.express.SgdMomentum;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * Rules, references and math ops are found through ServiceLoader, and the module path (module-info) and the class
 * path (META-INF/services, used by the shaded benchmark jar) register the same providers.
 */
class RegistrationTest {

    private static Set<String> provided(Class<?> service) {
        return InstanceNormRule.class.getModule().getDescriptor().provides().stream()
                .filter(p -> p.service().equals(service.getName()))
                .flatMap(p -> p.providers().stream()).collect(Collectors.toSet());
    }

    private static Set<String> listed(Class<?> service) throws IOException {
        try (InputStream in = InstanceNormRule.class.getResourceAsStream("/META-INF/services/" + service.getName())) {
            return Arrays.stream(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n"))
                    .map(String::trim).filter(s -> !s.isEmpty())
                    .collect(Collectors.toSet());
        }
    }

    @Test
    void moduleAndClassPathRegisterTheSameProvidersOneProviderPerFamily() throws IOException {
        assertEquals(Set.of(NormOpProvider.class.getName(), MathOpProvider.class.getName()),
                provided(OpProvider.class));
        assertEquals(provided(OpProvider.class), listed(OpProvider.class));
        for (Class<?> service : new Class<?>[]{OpCreator.class, OpGrad.class, ReferenceOp.class}) {
            assertEquals(Set.of(), provided(service), "registered through the family providers: " + service);
        }
    }

    @Test
    void eachFamilyRegistersOnlyTheServiceTypesAndEachOpOnce() {
        for (OpProvider provider : List.of(new NormOpProvider(), new MathOpProvider())) {
            for (Object r : provider.registrations()) {
                assertTrue(r instanceof OpCreator || r instanceof OpGrad || r instanceof ReferenceOp,
                        provider.family() + " registers " + r);
            }
        }
        // the registries refuse duplicates, so building them checks one registration per op type
        assertEquals(OpProvider.loaded(OpCreator.class).size(), OpRegistry.standard().opTypes().size());
    }

    @Test
    void everyForwardOpWithARuleHasAReferenceAndAnExecution() {
        Set<String> rules = GradRegistry.standard().opTypes();
        assertEquals(rules, ReferenceEvaluator.standard().opTypes());
        assertTrue(OpRegistry.standard().opTypes().containsAll(rules));
        assertTrue(OpRegistry.standard().opTypes().containsAll(Set.of(MathOps.MSE_LOSS_GRAD, SgdMomentum.OP_TYPE,
                "InstanceNormGrad")));
        assertEquals(Set.of("InstanceNorm", "GroupNorm", "LayerNorm", "RMSNorm", "BatchNorm", MathOps.ADD, MathOps.SUB, MathOps.MUL, MathOps.SQUARE,
                MathOps.MUL_SCALAR, MathOps.SUM, MathOps.MEAN, MathOps.BROADCAST_TO, MathOps.MSE_LOSS), rules);
    }
}
