import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * Summarises one Maven test run of every module, for bin/test and bin/test-repeat (run it with
 * {@code java bin/lib/TestSummary.java}, no build needed):
 *
 * <pre>
 *   TestSummary ROOT MAVEN_LOG MAVEN_EXIT [--brief]
 * </pre>
 *
 * It reads every module's {@code target/surefire-reports/TEST-*.xml} test case by test case (a class run
 * by both JUnit Jupiter and jqwik lists all its cases, but its per-class totals hold one engine's count),
 * the reactor summary in the Maven log (which modules did not finish) and Maven's exit status, then
 * prints every failing test as {@code module class#method} and closing lines in Surefire's and Maven's
 * own form ({@code Tests run: N, Failures: F, Errors: E, Skipped: S}, {@code BUILD SUCCESS} or
 * {@code BUILD FAILURE}). With {@code --brief} it prints one line for the run and one per failing test.
 * Exits 1 if a test failed or errored, a module failed or was skipped, or Maven exited non-zero
 * without saying why; 0 otherwise.
 */
public class TestSummary {

    private static final Pattern REACTOR_LINE =
            Pattern.compile("^\\[(?:INFO|ERROR|WARNING)\\] (\\S.*?) \\.+ ?(SUCCESS|FAILURE|SKIPPED)(?: \\[.*\\])?\\s*$");
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");
    private static final String RULE =
            "------------------------------------------------------------------------";

    record Failure(String module, String className, String method, String kind, String message) {}

    static final class ModuleResult {
        final String dir;
        final String name;
        final boolean hasTests;
        int tests;
        int failures;
        int errors;
        int skipped;
        int flaky;
        int reports;
        String status; // from the reactor summary, or null

        ModuleResult(String dir, String name, boolean hasTests) {
            this.dir = dir;
            this.name = name;
            this.hasTests = hasTests;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 3) {
            System.err.println("usage: TestSummary ROOT MAVEN_LOG MAVEN_EXIT [--brief]");
            System.exit(2);
        }
        Path root = Path.of(args[0]);
        Path log = Path.of(args[1]);
        int mavenExit = Integer.parseInt(args[2]);
        boolean brief = args.length > 3 && args[3].equals("--brief");

        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(false);
        DocumentBuilder xml = factory.newDocumentBuilder();

        Map<String, ModuleResult> modules = new LinkedHashMap<>();
        for (String dir : modulesOf(xml, root)) {
            Path pom = root.resolve(dir).resolve("pom.xml");
            modules.put(dir, new ModuleResult(dir, nameOf(xml, pom, dir), Files.isDirectory(root.resolve(dir).resolve("src/test"))));
        }
        List<Failure> failures = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        for (ModuleResult m : modules.values()) {
            Path reports = root.resolve(m.dir).resolve("target/surefire-reports");
            if (!Files.isDirectory(reports)) {
                continue;
            }
            try (DirectoryStream<Path> files = Files.newDirectoryStream(reports, "TEST-*.xml")) {
                for (Path file : files) {
                    m.reports++;
                    try {
                        read(xml.parse(file.toFile()), m, failures);
                    } catch (Exception e) {
                        unreadable.add(root.relativize(file) + " (" + e.getMessage() + ")");
                    }
                }
            }
        }
        List<String> unfinished = new ArrayList<>();
        boolean reactorSeen = readReactor(log, modules, unfinished);

        int tests = 0;
        int failed = 0;
        int errors = 0;
        int skipped = 0;
        int flaky = 0;
        for (ModuleResult m : modules.values()) {
            tests += m.tests;
            failed += m.failures;
            errors += m.errors;
            skipped += m.skipped;
            flaky += m.flaky;
        }
        boolean unexplainedMavenFailure = mavenExit != 0 && unfinished.isEmpty();
        boolean ok = failed == 0 && errors == 0 && unfinished.isEmpty() && unreadable.isEmpty() && mavenExit == 0;

        if (brief) {
            StringBuilder line = new StringBuilder(ok ? "PASS" : "FAIL");
            line.append(String.format("  %d tests, %d failures, %d errors, %d skipped", tests, failed, errors, skipped));
            if (flaky > 0) {
                line.append(", ").append(flaky).append(" flaky (passed on a rerun)");
            }
            if (!unfinished.isEmpty()) {
                line.append("; not finished: ").append(String.join(", ", unfinished));
            } else if (unexplainedMavenFailure) {
                line.append("; Maven exited with ").append(mavenExit);
            }
            System.out.println(line);
            for (Failure f : failures) {
                System.out.println("      " + describe(f));
            }
            for (String u : unreadable) {
                System.out.println("      unreadable report " + u);
            }
            System.exit(ok ? 0 : 1);
        }

        System.out.println("[INFO] " + RULE);
        System.out.println("[INFO] Test summary of every module (bin/test; from each module's target/surefire-reports)");
        System.out.println("[INFO] " + RULE);
        for (ModuleResult m : modules.values()) {
            String status = m.status == null ? "" : "  [" + m.status + "]";
            String counts;
            if (!m.hasTests) {
                counts = "no tests";
            } else if (m.reports == 0) {
                counts = "no test reports";
            } else {
                counts = String.format("%d tests, %d failures, %d errors, %d skipped", m.tests, m.failures,
                        m.errors, m.skipped) + (m.flaky > 0 ? ", " + m.flaky + " flaky" : "");
            }
            System.out.println(String.format("[INFO] %-18s %s%s", m.name, counts, status));
        }
        System.out.println("[INFO] ");
        if (!failures.isEmpty()) {
            System.out.println("[ERROR] Failing tests (" + failures.size() + "):");
            for (Failure f : failures) {
                System.out.println("[ERROR]   " + describe(f));
            }
        }
        for (String u : unreadable) {
            System.out.println("[ERROR] Unreadable test report: " + u);
        }
        if (!unfinished.isEmpty()) {
            System.out.println("[ERROR] Modules that did not build or test to the end: " + String.join(", ", unfinished));
        }
        if (unexplainedMavenFailure) {
            System.out.println("[ERROR] Maven exited with status " + mavenExit + " (see its output above)");
        }
        if (!reactorSeen && mavenExit == 0 && tests == 0) {
            System.out.println("[WARNING] No test reports were found: no test ran");
        }
        String totals = String.format("Tests run: %d, Failures: %d, Errors: %d, Skipped: %d", tests, failed, errors, skipped)
                + (flaky > 0 ? ", Flakes: " + flaky : "");
        System.out.println((failed + errors > 0 ? "[ERROR] " : "[INFO] ") + totals);
        System.out.println("[INFO] " + RULE);
        System.out.println("[INFO] " + (ok ? "BUILD SUCCESS" : "BUILD FAILURE"));
        System.out.println("[INFO] " + RULE);
        System.exit(ok ? 0 : 1);
    }

    private static String describe(Failure f) {
        String message = f.message == null || f.message.isBlank() ? "" : "  " + f.message;
        return String.format("%-16s %s#%s  %s%s", f.module, f.className, f.method, f.kind, message);
    }

    /** The module folders of the root POM, in reactor declaration order. */
    private static List<String> modulesOf(DocumentBuilder xml, Path root) throws Exception {
        List<String> out = new ArrayList<>();
        Document pom = xml.parse(root.resolve("pom.xml").toFile());
        NodeList list = pom.getElementsByTagName("module");
        for (int i = 0; i < list.getLength(); i++) {
            String dir = list.item(i).getTextContent().trim();
            if (Files.isRegularFile(root.resolve(dir).resolve("pom.xml"))) {
                out.add(dir);
            }
        }
        return out;
    }

    /** The module's {@code <name>} (what Maven's reactor summary prints), else its folder. */
    private static String nameOf(DocumentBuilder xml, Path pom, String fallback) {
        try {
            Element project = xml.parse(pom.toFile()).getDocumentElement();
            for (Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e && (e.getTagName().equals("name"))) {
                    return e.getTextContent().trim();
                }
            }
            for (Node n = project.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (n instanceof Element e && (e.getTagName().equals("artifactId"))) {
                    return e.getTextContent().trim();
                }
            }
        } catch (Exception e) {
            // fall through
        }
        return fallback;
    }

    private static void read(Document report, ModuleResult m, List<Failure> failures) {
        NodeList cases = report.getElementsByTagName("testcase");
        for (int i = 0; i < cases.getLength(); i++) {
            Element c = (Element) cases.item(i);
            m.tests++;
            String kind = null;
            String message = null;
            boolean flakyCase = false;
            for (Node n = c.getFirstChild(); n != null; n = n.getNextSibling()) {
                if (!(n instanceof Element child)) {
                    continue;
                }
                switch (child.getTagName()) {
                    case "failure" -> {
                        kind = "FAILURE";
                        message = messageOf(child);
                    }
                    case "error" -> {
                        if (kind == null) {
                            kind = "ERROR";
                            message = messageOf(child);
                        }
                    }
                    case "skipped" -> m.skipped++;
                    case "flakyFailure", "flakyError" -> flakyCase = true;
                    default -> { }
                }
            }
            if ("FAILURE".equals(kind)) {
                m.failures++;
            } else if ("ERROR".equals(kind)) {
                m.errors++;
            } else if (flakyCase) {
                m.flaky++;
            }
            if (kind != null) {
                failures.add(new Failure(m.name, c.getAttribute("classname"), c.getAttribute("name"), kind, message));
            }
        }
    }

    private static String messageOf(Element e) {
        String message = e.getAttribute("message");
        if (message.isBlank()) {
            message = e.getAttribute("type");
        }
        message = message.strip();
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline) + " ...";
        }
        return message.length() > 200 ? message.substring(0, 200) + " ..." : message;
    }

    /**
     * Reads the last reactor summary of the log into the modules' status; adds every module that did
     * not end in SUCCESS to {@code unfinished}. Returns whether a reactor summary was found.
     */
    private static boolean readReactor(Path log, Map<String, ModuleResult> modules, List<String> unfinished)
            throws IOException {
        if (!Files.isRegularFile(log)) {
            return false;
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (ANSI.matcher(lines.get(i)).replaceAll("").contains("Reactor Summary")) {
                start = i;
            }
        }
        if (start < 0) {
            return false;
        }
        Map<String, ModuleResult> byName = new LinkedHashMap<>();
        for (ModuleResult m : modules.values()) {
            byName.put(m.name, m);
        }
        for (int i = start + 1; i < lines.size(); i++) {
            String line = ANSI.matcher(lines.get(i)).replaceAll("");
            if (line.contains("BUILD SUCCESS") || line.contains("BUILD FAILURE")) {
                break;
            }
            Matcher matcher = REACTOR_LINE.matcher(line);
            if (!matcher.matches()) {
                continue;
            }
            String name = matcher.group(1).trim();
            String status = matcher.group(2);
            ModuleResult m = byName.get(name);
            if (m != null) {
                m.status = status;
            }
            if (!status.equals("SUCCESS")) {
                unfinished.add(name + " " + status);
            }
        }
        return true;
    }
}
