package io.longnet.bench;

import io.longnet.bench.DenseComparison.Point;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Runtime against sequence length, log-log, for dilated and dense attention, as the paper's Figure 5 (PNG). */
public final class RuntimePlot {

    private RuntimePlot() {
    }

    public static void write(DenseComparison.Result result, String title, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(600).title(title)
                .xAxisTitle("sequence length N (tokens)").yAxisTitle("runtime (s)").build();
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true)
                .setLegendPosition(Styler.LegendPosition.InsideNW).setMarkerSize(9);
        kind(chart, "dilated", result.dilated(), new Color(0x1f77b4));
        kind(chart, "dense", result.dense(), new Color(0xd62728));
        try (OutputStream out = Files.newOutputStream(png)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }

    /** Measured points as a solid line; estimated ones as diamonds, joined to the last measured one by a dashed line. */
    private static void kind(XYChart chart, String name, List<Point> points, Color color) {
        List<Point> measured = points.stream().filter(p -> !p.estimated()).toList();
        List<Point> estimated = points.stream().filter(Point::estimated).toList();
        List<Point> joined = new ArrayList<>();
        if (!measured.isEmpty() && !estimated.isEmpty()) {
            joined.add(measured.get(measured.size() - 1));
        }
        joined.addAll(estimated);
        series(chart, name + ", measured", measured, color, SeriesLines.SOLID, SeriesMarkers.CIRCLE, true);
        series(chart, name + ", estimated (run skipped)", estimated, color, SeriesLines.NONE, SeriesMarkers.DIAMOND,
                true);
        series(chart, name + ", estimated line", joined, color, SeriesLines.DASH_DASH, SeriesMarkers.NONE, false);
    }

    private static void series(XYChart chart, String name, List<Point> points, Color color, BasicStroke line,
                               Marker marker, boolean inLegend) {
        if (points.isEmpty()) {
            return;
        }
        XYSeries s = chart.addSeries(name, points.stream().map(p -> (double) p.n()).toList(),
                points.stream().map(Point::seconds).toList());
        s.setLineColor(color);
        s.setMarkerColor(color);
        s.setLineStyle(line);
        s.setMarker(marker);
        s.setShowInLegend(inLegend);
    }
}
