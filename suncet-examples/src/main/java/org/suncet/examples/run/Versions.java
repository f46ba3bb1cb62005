package org.suncet.examples.run;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/**
 * The versions a run was made with, recorded in its run folder so a result can be traced to its
 * software: suncet, Java (version and vendor), DJL, and the deep-learning engine (name and version,
 * such as {@code PyTorch 2.7.1}).
 *
 * <p>suncet's version comes from the jar manifest's {@code Implementation-Version} when the classes
 * run from a jar, otherwise from the resource {@code suncet.properties} beside this class, which
 * Maven writes with the project's version when it builds the classes (so {@code bin/suncet}, which
 * runs from {@code target/classes}, records it too); {@value #UNKNOWN} if neither says. An engine that
 * cannot be loaded is recorded as {@code unavailable (reason)} rather than failing the run.
 *
 * @param suncet suncet's version
 * @param java the Java runtime's version and vendor
 * @param djl DJL's version
 * @param engine the default engine's name and version
 */
public record Versions(String suncet, String java, String djl, String engine) {

    /** suncet's version when neither the jar manifest nor {@code suncet.properties} gives one. */
    public static final String UNKNOWN = "unknown";

    /**
     * The versions of this process.
     *
     * @return the current versions; loads the default engine if it is not loaded yet
     */
    public static Versions current() {
        String java = System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")";
        String engine;
        try {
            Engine instance = Engine.getInstance();
            engine = instance.getEngineName() + " " + instance.getVersion();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            engine = "unavailable (" + e.getMessage() + ")";
        }
        return new Versions(suncetVersion(), java, Engine.getDjlVersion(), engine);
    }

    /**
     * suncet's own version: the jar manifest's {@code Implementation-Version}, else the {@code version}
     * of the Maven-filtered {@code suncet.properties}, else {@value #UNKNOWN}.
     *
     * @return the version this code was built as, such as {@code 0.1.0}
     */
    public static String suncetVersion() {
        String manifest = Versions.class.getPackage().getImplementationVersion();
        if (manifest != null && !manifest.isBlank()) {
            return manifest;
        }
        try (InputStream in = Versions.class.getResourceAsStream("suncet.properties")) {
            if (in != null) {
                Properties properties = new Properties();
                properties.load(in);
                String version = properties.getProperty("version", "").strip();
                // an unfiltered copy (built without Maven) still holds the placeholder
                if (!version.isEmpty() && !version.contains("${")) {
                    return version;
                }
            }
        } catch (IOException e) {
            // fall through: a version we cannot read is unknown, not a failed run
        }
        return UNKNOWN;
    }

    /**
     * These versions as {@code version.*} properties, in a fixed order.
     *
     * @return {@code version.suncet}, {@code version.java}, {@code version.djl}, {@code version.engine}
     */
    public Map<String, String> asProperties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("version.suncet", suncet);
        properties.put("version.java", java);
        properties.put("version.djl", djl);
        properties.put("version.engine", engine);
        return properties;
    }
}
