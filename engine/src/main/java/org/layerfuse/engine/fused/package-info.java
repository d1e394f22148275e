/**
 * In-place kernels for a fused transformer forward: bias + activation, residual + layer norm,
 * scale + mask + softmax, one attention head. {@link org.layerfuse.engine.fused.TransformerKernels}
 * and {@link org.layerfuse.engine.fused.AttentionKernel} are the float Vector-API versions (any
 * vector width, scalar tails); {@link org.layerfuse.engine.fused.ScalarTransformerKernels} is the same
 * arithmetic in plain double loops: the tests' reference and the float64 path.
 * {@link org.layerfuse.engine.fused.ParallelRows} splits row ranges over the cores.
 */
package org.layerfuse.engine.fused;
