package org.layerfuse.prune.report;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Fig. 1 of the paper: test accuracy against the number of layers pruned, one line per
 * strategy, repeated strategies as the mean over repeats with a shaded min–max band, the
 * unpruned baseline as a dashed black line.
 */
final class AccuracyCurveChart {

    static final int WIDTH = 1200;
    static final int HEIGHT = 680;

    /** One line: a strategy's name, look and per-step accuracy. */
    record Line(String name, StrategyStyle.Look look, StepSeries series) {
    }

    private AccuracyCurveChart() {
    }

    static BufferedImage render(String title, double baseline, List<Line> lines) {
        XYChart chart = new XYChartBuilder().width(WIDTH).height(HEIGHT).title(title).xAxisTitle("Layers pruned")
                .yAxisTitle("Test accuracy").build();
        ChartImages.style(chart.getStyler());
        chart.getStyler().setXAxisDecimalPattern("0");
        chart.getStyler().setYAxisDecimalPattern("0.00");
        int maxStep = lines.stream().mapToInt(l -> l.series().steps() - 1).max().orElse(1);
        chart.getStyler().setXAxisMin(0.0);
        chart.getStyler().setXAxisMax((double) Math.max(1, maxStep));
        chart.getStyler().setXAxisTickMarkSpacingHint(Math.max(40, 900 / Math.max(1, maxStep)));
        for (Line l : lines) {
            StepSeries s = l.series();
            boolean band = s.count().length > 0 && java.util.Arrays.stream(s.count()).max().orElse(0) > 1;
            if (band) {
                List<Double> bx = new ArrayList<>();
                List<Double> by = new ArrayList<>();
                for (int k = 0; k < s.steps(); k++) {
                    bx.add((double) k);
                    by.add(s.min()[k]);
                }
                for (int k = s.steps() - 1; k >= 0; k--) {
                    bx.add((double) k);
                    by.add(s.max()[k]);
                }
                XYSeries area = chart.addSeries(l.name() + " (min-max)", bx, by);
                area.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.PolygonArea);
                area.setFillColor(StrategyStyle.translucent(l.look().color(), 45));
                area.setLineColor(StrategyStyle.translucent(l.look().color(), 0));
                area.setMarker(SeriesMarkers.NONE);
                area.setShowInLegend(false);
            }
        }
        for (Line l : lines) {
            StepSeries s = l.series();
            double[] x = new double[s.steps()];
            for (int k = 0; k < x.length; k++) {
                x[k] = k;
            }
            boolean repeated = java.util.Arrays.stream(s.count()).max().orElse(0) > 1;
            XYSeries line = chart.addSeries(repeated ? l.name() + " (mean, band min-max)" : l.name(), x, s.mean());
            line.setLineColor(l.look().color());
            line.setMarkerColor(l.look().color());
            line.setMarker(l.look().marker());
            line.setLineStyle(l.look().stroke());
        }
        if (Double.isFinite(baseline)) {
            XYSeries base = chart.addSeries("Baseline (unpruned)", new double[] {0, Math.max(1, maxStep)},
                    new double[] {baseline, baseline});
            base.setLineColor(Color.BLACK);
            base.setLineStyle(StrategyStyle.DASHED);
            base.setMarker(SeriesMarkers.NONE);
        }
        return ChartImages.image(chart);
    }

    /** The lines of a map of per-strategy series, in the map's order. */
    static List<Line> lines(Map<String, StepSeries> series, Map<String, StrategyStyle.Look> looks) {
        List<Line> out = new ArrayList<>();
        series.forEach((s, v) -> out.add(new Line(ReportInputs.displayName(s), looks.get(s), v)));
        return out;
    }
}
