/**
 * Expressions and training: {@link dev.ingot.runtime.express.Graph} builds {@link dev.ingot.runtime.express.Expr}
 * nodes whose shapes each op's execution infers; {@link dev.ingot.runtime.express.Grad} builds backward expressions
 * from the {@link dev.ingot.runtime.express.OpGrad} rules of a {@link dev.ingot.runtime.express.GradRegistry};
 * {@link dev.ingot.runtime.express.Program} and {@link dev.ingot.runtime.express.Trainer} compile expressions into
 * one planned {@link dev.ingot.runtime.Pipeline}; {@link dev.ingot.runtime.express.GradientCheck} judges rules
 * against finite differences of a float64 {@link dev.ingot.runtime.express.ReferenceEvaluator}.
 */
package dev.ingot.runtime.express;
