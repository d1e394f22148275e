package org.layerfuse.prune.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.CategorySeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The report's bar charts (XChart category charts): one bar per strategy with a dot per
 * dataset (Figs. 2–4), and grouped bars with optional error bars (Figs. 5, 6, 8).
 */
final class BarCharts {

    static final int WIDTH = 1200;
    static final int HEIGHT = 720;

    private static final Color[] DOT_COLORS = {Color.BLACK, new Color(0x0072B2), new Color(0xE69F00),
        new Color(0x009E73), new Color(0xCC79A7), new Color(0x56B4E9), new Color(0xD55E00), new Color(0xF0E442),
        new Color(0x999999)};
    private static final Marker[] DOT_MARKERS = {SeriesMarkers.CIRCLE, SeriesMarkers.DIAMOND, SeriesMarkers.SQUARE,
        SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS, SeriesMarkers.PLUS};

    /** A bar per category: its label, colour, height and error (NaN: none). */
    record Bar(String label, Color color, double value, double error) {
    }

    /** A group member of a grouped chart: a name, colour, and a value and error per category. */
    record Group(String name, Color color, double[] values, double[] errors) {
    }

    private BarCharts() {
    }

    /**
     * Bars (coloured by strategy) with error bars where given, and for each entry of
     * {@code dots} one marker per category at the dataset's value.
     */
    static BufferedImage withDots(String title, String yTitle, List<Bar> bars, Map<String, double[]> dots) {
        CategoryChart chart = base(title, yTitle);
        chart.getStyler().setOverlapped(true);
        chart.getStyler().setAvailableSpaceFill(0.7);
        List<String> labels = bars.stream().map(Bar::label).toList();
        boolean errors = bars.stream().anyMatch(b -> Double.isFinite(b.error()));
        for (int i = 0; i < bars.size(); i++) {
            Bar b = bars.get(i);
            List<Double> v = new ArrayList<>();
            List<Double> e = new ArrayList<>();
            for (int j = 0; j < bars.size(); j++) {
                v.add(j == i && Double.isFinite(b.value()) ? b.value() : 0.0); // XChart: no nulls beside error bars
                e.add(j == i && Double.isFinite(b.error()) ? b.error() : 0.0);
            }
            CategorySeries s = errors ? chart.addSeries(b.label(), labels, v, e) : chart.addSeries(b.label(), labels, v);
            s.setFillColor(lighter(b.color()));
            s.setShowInLegend(false);
        }
        int k = 0;
        for (Map.Entry<String, double[]> d : dots.entrySet()) {
            List<Double> v = Arrays.stream(d.getValue()).mapToObj(x -> Double.isFinite(x) ? x : null).toList();
            CategorySeries s = chart.addSeries(d.getKey(), labels, v);
            s.setChartCategorySeriesRenderStyle(CategorySeries.CategorySeriesRenderStyle.Scatter);
            s.setMarker(DOT_MARKERS[k % DOT_MARKERS.length]);
            s.setMarkerColor(DOT_COLORS[k % DOT_COLORS.length]);
            k++;
        }
        chart.getStyler().setLegendVisible(!dots.isEmpty());
        return ChartImages.image(chart);
    }

    /**
     * Grouped bars: one group of bars per category, one bar per {@link Group}. With
     * {@code zoom} the value axis starts near the smallest bar instead of at 0, so that
     * accuracies that differ in the second decimal stay distinguishable.
     */
    static BufferedImage grouped(String title, String yTitle, List<String> categories, List<Group> groups,
                                 boolean zoom) {
        CategoryChart chart = base(title, yTitle);
        if (categories.stream().allMatch(c -> c.length() <= 14) && categories.size() <= 10) {
            chart.getStyler().setXAxisLabelRotation(0);
        }
        if (zoom) {
            double lo = groups.stream().flatMapToDouble(g -> Arrays.stream(lowEnds(g))).filter(Double::isFinite).min()
                    .orElse(0);
            double hi = groups.stream().flatMapToDouble(g -> Arrays.stream(g.values())).filter(Double::isFinite).max()
                    .orElse(1);
            if (lo > 0) {
                chart.getStyler().setYAxisMin(Math.max(0, Math.floor((lo - 0.15 * (hi - lo) - 1e-9) / 0.05) * 0.05));
            }
        }
        chart.getStyler().setAvailableSpaceFill(0.8);
        chart.getStyler().setErrorBarsColor(Color.BLACK);
        for (Group g : groups) {
            // XChart takes null for "no bar", except in a series with error bars
            List<Double> v = Arrays.stream(g.values()).mapToObj(x -> bar(x, g.errors() != null)).toList();
            List<Double> e = g.errors() == null ? null
                    : Arrays.stream(g.errors()).mapToObj(x -> Double.isFinite(x) ? x : 0.0).toList();
            CategorySeries s = e == null ? chart.addSeries(g.name(), categories, v)
                    : chart.addSeries(g.name(), categories, v, e);
            s.setFillColor(g.color());
        }
        return ChartImages.image(chart);
    }

    private static Double bar(double value, boolean withErrors) {
        if (Double.isFinite(value)) {
            return value;
        }
        return withErrors ? 0.0 : null;
    }

    /** True if some group has a value to draw. */
    static boolean hasData(List<Group> groups) {
        return groups.stream().flatMapToDouble(g -> Arrays.stream(g.values())).anyMatch(Double::isFinite);
    }

    /** Half-way to white, so that the per-dataset markers drawn on a bar stay visible. */
    private static Color lighter(Color c) {
        return new Color((c.getRed() + 255) / 2, (c.getGreen() + 255) / 2, (c.getBlue() + 255) / 2);
    }

    private static double[] lowEnds(Group g) {
        double[] lo = g.values().clone();
        for (int i = 0; i < lo.length && g.errors() != null; i++) {
            lo[i] -= Double.isFinite(g.errors()[i]) ? g.errors()[i] : 0;
        }
        return lo;
    }

    private static CategoryChart base(String title, String yTitle) {
        CategoryChart chart = new CategoryChartBuilder().width(WIDTH).height(HEIGHT).title(title).yAxisTitle(yTitle)
                .build();
        ChartImages.style(chart.getStyler());
        chart.getStyler().setXAxisLabelRotation(40);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        chart.getStyler().setErrorBarsColor(Color.BLACK);
        chart.getStyler().setPlotGridVerticalLinesVisible(false);
        chart.getStyler().setAxisTickMarksStroke(new BasicStroke(1f));
        chart.getStyler().setYAxisDecimalPattern("0.##");
        return chart;
    }
}
