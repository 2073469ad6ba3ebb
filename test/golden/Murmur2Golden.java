// Generates test/golden/murmur2-partitions.json with the real Java client's murmur2.
// Run once: java -cp "/tmp/kdl/4.4.0/libs/*" test/golden/Murmur2Golden.java > test/golden/murmur2-partitions.json
import org.apache.kafka.common.utils.Utils;
import java.nio.charset.StandardCharsets;

public class Murmur2Golden {
    // Keys of every tail length (0-3 bytes mod 4), some multi-byte UTF-8, so all branches are covered.
    static String key(int i) {
        StringBuilder sb = new StringBuilder("key-").append(i);
        for (int j = 0; j < i % 7; j++) sb.append('x');
        if (i % 11 == 0) sb.append("\u00e9");
        if (i % 13 == 0) sb.append("\u6f22\u5b57");
        return sb.toString();
    }

    public static void main(String[] args) {
        int[] counts = {1, 3, 6, 12, 100};
        StringBuilder out = new StringBuilder();
        out.append("{\n  \"generator\": \"test/golden/Murmur2Golden.java with org.apache.kafka.common.utils.Utils.murmur2 (kafka-clients 4.4.0)\",\n");
        out.append("  \"partitionCounts\": [1, 3, 6, 12, 100],\n  \"entries\": [\n");
        for (int i = 0; i < 10000; i++) {
            String k = key(i);
            int h = Utils.murmur2(k.getBytes(StandardCharsets.UTF_8));
            out.append("    {\"key\": \"");
            for (char c : k.toCharArray()) {
                if (c < 128) out.append(c); else out.append(String.format("\\u%04x", (int) c));
            }
            out.append("\", \"murmur2\": ").append(h).append(", \"partitions\": [");
            for (int j = 0; j < counts.length; j++) {
                if (j > 0) out.append(", ");
                out.append(Utils.toPositive(h) % counts[j]);
            }
            out.append("]}").append(i < 9999 ? ",\n" : "\n");
        }
        out.append("  ]\n}\n");
        System.out.print(out);
    }
}
