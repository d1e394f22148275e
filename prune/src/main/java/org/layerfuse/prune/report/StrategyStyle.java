package org.layerfuse.prune.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;
import org.layerfuse.prune.study.StudySpec;

/**
 * The colour, marker and line of each strategy, the same in every figure: the fusion
 * strategies thick and saturated (random forest red, linear regression blue), the random
 * strategies grey and dashed, the single-signal strategies from Kelly's high-contrast colours
 * with varying markers, so sixteen lines stay apart.
 */
final class StrategyStyle {

    /** How one strategy is drawn. */
    record Look(Color color, Marker marker, BasicStroke stroke) {
    }

    private static final Color[] SINGLE = {
        new Color(0xF38400), new Color(0x875692), new Color(0x008856), new Color(0xE68FAC),
        new Color(0x0067A5), new Color(0xC2B280), new Color(0x604E97), new Color(0xB3446C),
        new Color(0x8DB600), new Color(0x882D17), new Color(0x2B3D26), new Color(0xF6A600),
        new Color(0xA1CAF1), new Color(0xDCD300), new Color(0x654522), new Color(0xE25822)};
    private static final Marker[] MARKERS = {SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND,
        SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN, SeriesMarkers.CROSS, SeriesMarkers.PLUS,
        SeriesMarkers.OVAL, SeriesMarkers.RECTANGLE, SeriesMarkers.TRAPEZOID};
    static final Color RANDOM_FOREST = new Color(0xD62728);
    static final Color LINEAR_REGRESSION = new Color(0x1F5FBF);
    private static final Color[] RANDOM = {new Color(0x505050), new Color(0x9A9A9A), new Color(0x707070)};

    static final BasicStroke DASHED = new BasicStroke(2.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f,
            new float[] {9f, 6f}, 0f);

    private StrategyStyle() {
    }

    static Map<String, Look> of(List<String> strategies, List<String> fusion) {
        Map<String, Look> out = new LinkedHashMap<>();
        int single = 0;
        int random = 0;
        int otherFusion = 0;
        for (String s : strategies) {
            if (s.equals("random-forest")) {
                out.put(s, new Look(RANDOM_FOREST, SeriesMarkers.CIRCLE, new BasicStroke(3.5f)));
            } else if (s.equals("linear-regression")) {
                out.put(s, new Look(LINEAR_REGRESSION, SeriesMarkers.SQUARE, new BasicStroke(3.5f)));
            } else if (StudySpec.isRandom(s)) {
                out.put(s, new Look(RANDOM[random % RANDOM.length], random == 0 ? SeriesMarkers.NONE
                        : SeriesMarkers.CROSS, DASHED));
                random++;
            } else if (fusion.contains(s)) {
                out.put(s, new Look(SINGLE[(SINGLE.length - 1 - otherFusion++) % SINGLE.length], SeriesMarkers.DIAMOND,
                        new BasicStroke(3.5f)));
            } else {
                out.put(s, new Look(SINGLE[single % SINGLE.length], MARKERS[single % MARKERS.length],
                        new BasicStroke(1.6f)));
                single++;
            }
        }
        return out;
    }

    /** The colour with an alpha (0–255), for bands. */
    static Color translucent(Color c, int alpha) {
        return new Color(c.getRed(), c.getGreen(), c.getBlue(), alpha);
    }
}
