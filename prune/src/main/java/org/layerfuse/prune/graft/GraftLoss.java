package org.layerfuse.prune.graft;

/**
 * The local distillation loss between the teacher's and the fused window's output hidden
 * states h_t, h_s ∈ ℝ^H of each real token, averaged over the tokens:
 * <ul>
 *   <li>{@code KL}: KL(softmax(h_t/τ) ‖ softmax(h_s/τ)) over the hidden dimension (FuseGPT);</li>
 *   <li>{@code MSE}: (1/H)·‖h_s − h_t‖².</li>
 * </ul>
 */
public enum GraftLoss {
    KL, MSE
}
