package io.longnet.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import org.knowm.xchart.style.markers.SeriesMarkers;

/** A training run's loss curve from its train.jsonl: train bits per token and held-out bits per byte by tokens seen. */
public final class LossCurvePlot {

    private LossCurvePlot() {
    }

    public static void write(Path log, String title, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Double> trainX = new ArrayList<>();
        List<Double> trainY = new ArrayList<>();
        List<Double> heldX = new ArrayList<>();
        List<Double> heldY = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(log)) {
            JsonNode o = json.readTree(line);
            double tokens = o.get("tokens").asDouble();
            if (o.has("bits_per_token")) {
                trainX.add(tokens);
                trainY.add(o.get("bits_per_token").asDouble());
            }
            if (o.has("held_out_bits_per_byte")) {
                heldX.add(tokens);
                heldY.add(o.get("held_out_bits_per_byte").asDouble());
            }
        }
        if (trainX.isEmpty()) {
            throw new IllegalArgumentException(log + " has no training steps to plot");
        }
        XYChart chart = new XYChartBuilder().width(900).height(600).title(title).xAxisTitle("tokens trained")
                .yAxisTitle("bits").build();
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE).setMarkerSize(7);
        XYSeries train = chart.addSeries("train, bits per token", trainX, trainY);
        train.setLineColor(new Color(0x1f77b4));
        train.setMarker(SeriesMarkers.NONE);
        if (!heldX.isEmpty()) {
            XYSeries held = chart.addSeries("held-out, bits per byte", heldX, heldY);
            held.setLineColor(new Color(0xd62728));
            held.setMarkerColor(new Color(0xd62728));
            held.setLineStyle(SeriesLines.SOLID);
            held.setMarker(SeriesMarkers.CIRCLE);
        }
        try (OutputStream out = Files.newOutputStream(png)) {
            BitmapEncoder.saveBitmap(chart, out, BitmapEncoder.BitmapFormat.PNG);
        }
    }
}
