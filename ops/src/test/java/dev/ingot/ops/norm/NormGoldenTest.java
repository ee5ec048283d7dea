package dev.ingot.ops.norm;

import static dev.ingot.ops.norm.testing.Checks.assertWithin;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ingot.ops.DirectOps;
import dev.ingot.ops.norm.testing.MiniJson;
import dev.ingot.ops.norm.testing.NpyArray;
import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.CpuBackend;
import dev.ingot.runtime.Layout;
import dev.ingot.runtime.Shape;
import dev.ingot.runtime.Tensor;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The PyTorch golden cases of GroupNorm, LayerNorm, RMSNorm and BatchNorm ({@code norm-golden/}, written by
 * {@code ops/scripts/make_norm_golden.py}) and the ONNX backend node tests of InstanceNormalization,
 * LayerNormalization and BatchNormalization ({@code onnx-norm/}, converted by
 * {@code ops/scripts/convert_onnx_norm_tests.py}): every compared output within 1e-5 normwise, in each layout the
 * case lists; gradients from the reference's saved statistics.
 */
class NormGoldenTest {
    private static CpuBackend backend;

    @BeforeAll
    static void open() {
        backend = CpuBackend.builder().threads(2).build();
    }

    @AfterAll
    static void close() {
        backend.close();
    }

    private static List<Path> cases(String folder) throws Exception {
        URL url = NormGoldenTest.class.getResource("/" + folder);
        Path root = url != null ? Path.of(url.toURI()) : Path.of("src/test/resources", folder);
        try (Stream<Path> dirs = Files.list(root)) {
            return dirs.filter(d -> Files.isRegularFile(d.resolve("case.json"))).sorted().toList();
        }
    }

    @TestFactory
    List<DynamicTest> everyCase() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        int torch = 0;
        int onnx = 0;
        for (String folder : new String[] {"norm-golden", "onnx-norm"}) {
            for (Path dir : cases(folder)) {
                @SuppressWarnings("unchecked")
                Map<String, Object> spec = (Map<String, Object>) MiniJson.parse(Files.readString(dir.resolve("case.json")));
                for (Object layout : (List<?>) spec.get("layouts")) {
                    tests.add(DynamicTest.dynamicTest(dir.getFileName() + " " + layout,
                            () -> check(dir, spec, Layout.valueOf((String) layout))));
                }
                if (folder.equals("onnx-norm")) {
                    onnx++;
                } else {
                    torch++;
                }
            }
        }
        assertTrue(torch >= 12, "torch golden cases found: " + torch);
        assertTrue(onnx >= 25, "ONNX node tests found: " + onnx);
        return tests;
    }

    private static Attributes attributes(Object map) {
        List<Object> pairs = new ArrayList<>();
        for (Map.Entry<?, ?> e : ((Map<?, ?>) map).entrySet()) {
            Object v = e.getValue();
            if (v instanceof Double d && (e.getKey().equals("groups") || e.getKey().equals("axis"))) {
                v = (long) d.doubleValue();
            }
            pairs.add(e.getKey());
            pairs.add(v);
        }
        return Attributes.of(pairs.toArray());
    }

    private static Tensor load(Path dir, String name, Layout layout) {
        NpyArray a = NpyArray.read(dir.resolve(name + ".npy"));
        boolean data = name.equals("x") || name.equals("dy");
        return Tensor.copyOf(a.floats(), Shape.of(a.shape().length == 0 ? new long[] {1} : a.shape()),
                data ? layout : Layout.NCHW);
    }

    private static void check(Path dir, Map<String, Object> spec, Layout layout) {
        String label = dir.getFileName() + " " + layout;
        List<Tensor> inputs = new ArrayList<>();
        for (Object name : (List<?>) spec.get("inputs")) {
            inputs.add(load(dir, (String) name, layout));
        }
        List<Tensor> outputs = DirectOps.run(backend, (String) spec.get("op"), attributes(spec.get("attributes")),
                inputs);
        try {
            compare(label, dir, (List<?>) spec.get("outputs"), outputs);
        } finally {
            outputs.forEach(Tensor::close);
            inputs.forEach(Tensor::close);
        }
        if (spec.get("grad_op") == null) {
            return;
        }
        List<Tensor> gradInputs = new ArrayList<>();
        for (Object name : (List<?>) spec.get("grad_inputs")) {
            gradInputs.add(load(dir, (String) name, layout));
        }
        Object gradAttributes = spec.getOrDefault("grad_attributes", spec.get("attributes"));
        List<Tensor> grads = DirectOps.run(backend, (String) spec.get("grad_op"), attributes(gradAttributes),
                gradInputs);
        try {
            compare(label, dir, (List<?>) spec.get("grad_outputs"), grads);
        } finally {
            grads.forEach(Tensor::close);
            gradInputs.forEach(Tensor::close);
        }
    }

    private static void compare(String label, Path dir, List<?> names, List<Tensor> outputs) {
        assertTrue(outputs.size() >= names.size(), label + ": outputs " + outputs.size());
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i) == null) {
                continue;
            }
            String name = (String) names.get(i);
            double[] expected = NpyArray.read(dir.resolve(name + ".npy")).data();
            float[] actual = outputs.get(i).toFloatArray();
            assertEquals(expected.length, actual.length, label + " " + name + " length");
            assertWithin(label + " " + name, actual, expected);
        }
    }
}
