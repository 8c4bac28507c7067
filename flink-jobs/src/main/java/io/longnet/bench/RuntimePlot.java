package io.longnet.bench;

import io.longnet.bench.DenseComparison.Point;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
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
        series(chart, "dilated", result.dilated(), p -> !p.estimated(), false);
        series(chart, "dense", result.dense(), p -> !p.estimated(), false);
        series(chart, "dilated, estimated", result.dilated(), Point::estimated, true);
        series(chart, "dense, estimated", result.dense(), Point::estimated, true);
        try (OutputStream out = Files.newOutputStream(png)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private static void series(XYChart chart, String name, List<Point> points, Predicate<Point> which,
                               boolean estimated) {
        List<Point> chosen = points.stream().filter(which).toList();
        if (chosen.isEmpty()) {
            return;
        }
        XYSeries s = chart.addSeries(name, chosen.stream().map(p -> (double) p.n()).toList(),
                chosen.stream().map(Point::seconds).toList());
        s.setXYSeriesRenderStyle(estimated ? XYSeries.XYSeriesRenderStyle.Scatter : XYSeries.XYSeriesRenderStyle.Line);
        s.setMarker(estimated ? SeriesMarkers.DIAMOND : SeriesMarkers.CIRCLE);
    }
}
