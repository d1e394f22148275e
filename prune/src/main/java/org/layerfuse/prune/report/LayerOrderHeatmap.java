package org.layerfuse.prune.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Locale;

/**
 * Fig. 7 of the paper, drawn with Java2D: one row per strategy, one column per encoder layer,
 * the cell shaded by the mean step at which the layer was removed (light = early, dark = late)
 * and labelled with it; layers no run removed are outlined and labelled "kept", cells
 * without data are grey.
 */
final class LayerOrderHeatmap {

    private static final Color LIGHT = new Color(0xF7FBFF);
    private static final Color DARK = new Color(0x08306B);
    private static final Color NO_DATA = new Color(0xDDDDDD);
    private static final int CELL_H = 38;
    private static final int PAD = 24;

    private LayerOrderHeatmap() {
    }

    /**
     * @param mean    [row][layer] mean removal step (NaN: no data)
     * @param kept    [row][layer] true where no run removed the layer
     * @param maxStep the largest value a cell can take (layers to remove + 1)
     */
    static BufferedImage render(String title, List<String> rows, double[][] mean, boolean[][] kept, int maxStep) {
        int layers = mean.length == 0 ? 0 : mean[0].length;
        Font labelFont = new Font(ChartImages.FONT, Font.PLAIN, 15);
        Font cellFont = new Font(ChartImages.FONT, Font.PLAIN, 13);
        Font titleFont = new Font(ChartImages.FONT, Font.BOLD, 20);
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D pg = probe.createGraphics();
        pg.setFont(labelFont);
        int labelW = rows.stream().mapToInt(r -> pg.getFontMetrics().stringWidth(r)).max().orElse(60) + 16;
        pg.setFont(titleFont);
        int titleW = pg.getFontMetrics().stringWidth(title);
        pg.dispose();
        int cellW = Math.max(52, Math.min(80, 900 / Math.max(1, layers)));
        int barW = Math.min(420, layers * cellW);
        int width = Math.max(PAD + labelW + Math.max(layers * cellW, barW + 190) + PAD, PAD + titleW + PAD);
        int top = PAD + 34 + 30;
        int gridH = rows.size() * CELL_H;
        int height = top + gridH + 40 + 70;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        g.setColor(Color.BLACK);
        g.setFont(titleFont);
        g.drawString(title, PAD, PAD + 20);
        int x0 = PAD + labelW;
        g.setFont(labelFont);
        FontMetrics fm = g.getFontMetrics();
        for (int l = 0; l < layers; l++) {
            String h = "L" + l;
            g.drawString(h, x0 + l * cellW + (cellW - fm.stringWidth(h)) / 2, top - 10);
        }
        g.drawString("layer", PAD, top - 10);
        for (int r = 0; r < rows.size(); r++) {
            int y = top + r * CELL_H;
            g.setColor(Color.BLACK);
            g.setFont(labelFont);
            g.drawString(rows.get(r), PAD, y + CELL_H / 2 + fm.getAscent() / 2 - 2);
            for (int l = 0; l < layers; l++) {
                int x = x0 + l * cellW;
                double v = mean[r][l];
                Color c = Double.isFinite(v) ? shade((v - 1) / Math.max(1, maxStep - 1)) : NO_DATA;
                g.setColor(c);
                g.fillRect(x, y, cellW, CELL_H);
                g.setColor(Color.WHITE);
                g.drawRect(x, y, cellW, CELL_H);
                String text = !Double.isFinite(v) ? "–" : kept[r][l] ? "kept" : String.format(Locale.ROOT, "%.1f", v);
                g.setFont(cellFont);
                FontMetrics cm = g.getFontMetrics();
                g.setColor(Double.isFinite(v) && luminance(c) < 0.5 ? Color.WHITE : Color.BLACK);
                g.drawString(text, x + (cellW - cm.stringWidth(text)) / 2, y + CELL_H / 2 + cm.getAscent() / 2 - 2);
                if (kept[r][l]) {
                    g.setColor(new Color(0xE69F00));
                    g.setStroke(new BasicStroke(3f));
                    g.drawRect(x + 2, y + 2, cellW - 4, CELL_H - 4);
                    g.setStroke(new BasicStroke(1f));
                }
            }
        }
        int by = top + gridH + 30;
        for (int i = 0; i < barW; i++) {
            g.setColor(shade(i / (double) Math.max(1, barW - 1)));
            g.fillRect(x0 + i, by, 1, 18);
        }
        g.setColor(Color.BLACK);
        g.drawRect(x0, by, barW, 18);
        g.setFont(cellFont);
        g.drawString("1 (removed first)", x0, by + 36);
        String right = maxStep + " (last / kept)";
        g.drawString(right, x0 + barW - g.getFontMetrics().stringWidth(right), by + 36);
        g.drawString("mean removal step", x0 + barW + 16, by + 14);
        g.dispose();
        return img;
    }

    private static Color shade(double t) {
        double u = Math.max(0, Math.min(1, t));
        return new Color((int) Math.round(LIGHT.getRed() + u * (DARK.getRed() - LIGHT.getRed())),
                (int) Math.round(LIGHT.getGreen() + u * (DARK.getGreen() - LIGHT.getGreen())),
                (int) Math.round(LIGHT.getBlue() + u * (DARK.getBlue() - LIGHT.getBlue())));
    }

    private static double luminance(Color c) {
        return (0.299 * c.getRed() + 0.587 * c.getGreen() + 0.114 * c.getBlue()) / 255.0;
    }
}
