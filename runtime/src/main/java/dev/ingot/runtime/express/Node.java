package dev.ingot.runtime.express;

import dev.ingot.runtime.Attributes;
import dev.ingot.runtime.TensorType;
import java.util.ArrayList;
import java.util.List;

/** A graph node: a leaf or an op with its inferred output types. Ids grow in creation order, a topological order. */
final class Node {
    final Graph graph;
    final int id;
    final Expr.Kind kind;
    final String opType;
    final String name;
    final Attributes attributes;
    final List<Expr> inputs;
    final List<TensorType> outputTypes;
    final List<Expr> outputs;
    final float[] data;

    Node(Graph graph, int id, Expr.Kind kind, String opType, String name, Attributes attributes, List<Expr> inputs,
         List<TensorType> outputTypes, float[] data) {
        this.graph = graph;
        this.id = id;
        this.kind = kind;
        this.opType = opType;
        this.name = name;
        this.attributes = attributes;
        this.inputs = List.copyOf(inputs);
        this.outputTypes = List.copyOf(outputTypes);
        this.data = data;
        List<Expr> outs = new ArrayList<>(outputTypes.size());
        for (int i = 0; i < outputTypes.size(); i++) {
            outs.add(new Expr(this, i));
        }
        this.outputs = List.copyOf(outs);
    }
}
