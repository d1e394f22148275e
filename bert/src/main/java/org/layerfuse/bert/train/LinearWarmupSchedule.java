package org.layerfuse.bert.train;

/**
 * Learning rate rising linearly from 0 to the peak over the warm-up steps, then falling
 * linearly to 0 at the last step (Hugging Face's {@code get_linear_schedule_with_warmup}):
 * lr(t) = peak·t/w for t &lt; w, else peak·max(0, (T − t)/(T − w)), with t the 0-based step.
 */
public record LinearWarmupSchedule(double peak, long warmupSteps, long totalSteps) {

    public LinearWarmupSchedule {
        if (!(peak > 0)) {
            throw new IllegalArgumentException("learning rate must be > 0, got " + peak);
        }
        if (warmupSteps < 0 || totalSteps <= 0 || warmupSteps > totalSteps) {
            throw new IllegalArgumentException("need 0 <= warmup steps (" + warmupSteps + ") <= total steps ("
                    + totalSteps + ") and total > 0");
        }
    }

    public double at(long step) {
        if (step < warmupSteps) {
            return peak * step / warmupSteps;
        }
        if (totalSteps == warmupSteps) {
            return peak;
        }
        return peak * Math.max(0.0, (double) (totalSteps - step) / (totalSteps - warmupSteps));
    }
}
