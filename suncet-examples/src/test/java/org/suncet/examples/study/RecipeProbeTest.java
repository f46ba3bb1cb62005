package org.suncet.examples.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.suncet.examples.Suncet;

class RecipeProbeTest {

    private static String run(String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (PrintStream stream = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setOut(stream);
            assertEquals(0, Suncet.run(args));
        } finally {
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aTinyProbePrintsOneResultPerFineTuningAndReusesItsPretraining(@TempDir Path cache) throws Exception {
        String[] args = {
            "probe", "PRETRAIN=suncet", "PEPOCHS=2", "SPE=1", "FRACTION=0.01", "TAU=0.1", "C=10", "K=2", "KNN=1",
            "FTS=0.4:8:crop0.08:0,0.1:8:none:1,0.4:8:none:lin", "CACHE=" + cache
        };
        String first = run(args);
        List<String> results = Arrays.stream(first.split("\n")).filter(l -> l.contains("RESULT")).toList();
        assertEquals(3, results.size(), first);
        assertTrue(results.get(0).startsWith("pretrain=suncet pe=2 spe=1 n=118 C=10 K=2 tau=0.1"), results.get(0));
        assertTrue(results.get(0).contains("RESULT ft=0.4:8:crop0.08:0 steps=8 |"), results.get(0));
        assertTrue(results.get(1).contains("RESULT ft=0.1:8:none:1 steps=8 |"), results.get(1));
        assertTrue(results.get(2).contains("RESULT ft=0.4:8:none:lin steps=8 |"), results.get(2));
        // frozen features after epoch 1 (KNN=1) and after pre-training
        assertTrue(first.matches("(?s).*\nepoch 1 FROZEN knn val 0\\.\\d{4} \\|h\\| \\d+\\.\\d{2}\n.*"), first);
        assertTrue(first.matches("(?s).*\npretrain=suncet .*FROZEN knn val 0\\.\\d{4} .*"), first);
        assertTrue(results.get(0).endsWith("frac=0.01 labeled=550 seed=0"), results.get(0));
        try (var files = Files.list(cache)) {
            assertEquals(1, files.filter(f -> f.toString().endsWith(".params")).count(), "one cached pre-training");
        }
        String again = run(args);
        assertTrue(again.contains("pre-trained weights from " + cache), again);
        assertTrue(!again.contains("pretrain suncet epoch"), again);
    }

    @Test
    void withoutPretrainingItFineTunesFromScratchAndPrintsNoFrozenFeatures(@TempDir Path cache) {
        String out = run("probe", "PRETRAIN=none", "FRACTION=0.01", "FTS=0.4:8:crop0.08:0", "CACHE=" + cache);
        List<String> results = Arrays.stream(out.split("\n")).filter(l -> l.contains("RESULT")).toList();
        assertEquals(1, results.size(), out);
        assertTrue(results.get(0).startsWith("pretrain=none RESULT ft=0.4:8:crop0.08:0 steps=8 |"), results.get(0));
        assertTrue(!out.contains("FROZEN"), "no pre-trained encoder, no frozen features: " + out);
    }

    @Test
    void unknownKeysAndBadValuesEndWithExitCodeTwo() {
        assertEquals(2, Suncet.run(new String[] {"probe", "EPOCHS=3"}));
        assertEquals(2, Suncet.run(new String[] {"probe", "PRETRAIN=byol"}));
        assertEquals(2, Suncet.run(new String[] {"probe", "FTS=0.4:10:blur"}));
        assertEquals(2, Suncet.run(new String[] {"probe", "FTS=x:10:none"}));
        assertEquals(2, Suncet.run(new String[] {"probe", "FTS=0.4:0:crop0.08"}));
        assertEquals(2, Suncet.run(new String[] {"probe", "FTS=0.4:10:crop1.5"}));
        assertEquals(2, Suncet.run(new String[] {"probe", "FTS=0.4:10:none:linear"}));
    }
}
