// Generates test/golden/metrics-windows.json with the real Java client's windowed stats (Rate over
// WindowedSum, Avg, Max with MetricConfig samples=2, timeWindow=30 s: the producer's defaults).
// Run once: java -cp ".kafka/dist/4.4.0/libs/*" test/golden/MetricsGolden.java > test/golden/metrics-windows.json
import org.apache.kafka.common.metrics.MetricConfig;
import org.apache.kafka.common.metrics.stats.Avg;
import org.apache.kafka.common.metrics.stats.Max;
import org.apache.kafka.common.metrics.stats.Rate;
import java.util.concurrent.TimeUnit;

public class MetricsGolden {
    static long seed = 12345;
    // A fixed LCG so the event list is part of the golden file, not of a library's RNG.
    static long next(long bound) {
        seed = (seed * 6364136223846793005L + 1442695040888963407L);
        return Math.floorMod(seed >>> 33, bound);
    }

    static String num(double d) {
        return Double.isNaN(d) ? "null" : Double.toString(d);
    }

    public static void main(String[] args) {
        MetricConfig config = new MetricConfig().samples(2).timeWindow(30000, TimeUnit.MILLISECONDS);
        Rate rate = new Rate();
        Avg avg = new Avg();
        Max max = new Max();
        long t = 1_700_000_000_000L;
        StringBuilder out = new StringBuilder();
        out.append("{\n  \"generator\": \"test/golden/MetricsGolden.java with org.apache.kafka.common.metrics.stats Rate, Avg, Max (kafka-clients 4.4.0), samples=2, window=30000 ms\",\n");
        out.append("  \"steps\": [\n");
        for (int i = 0; i < 600; i++) {
            long gap = next(100) < 8 ? 20_000 + next(50_000) : next(4_000);
            t += gap;
            boolean measure = next(5) == 0;
            String line;
            if (measure) {
                line = "    {\"t\": " + t + ", \"rate\": " + num(rate.measure(config, t)) + ", \"avg\": " + num(avg.measure(config, t)) + ", \"max\": " + num(max.measure(config, t)) + "}";
            } else {
                long v = next(1000);
                rate.record(config, v, t);
                avg.record(config, v, t);
                max.record(config, v, t);
                line = "    {\"t\": " + t + ", \"record\": " + v + "}";
            }
            out.append(line).append(i == 599 ? "\n" : ",\n");
        }
        out.append("  ]\n}\n");
        System.out.print(out);
    }
}
