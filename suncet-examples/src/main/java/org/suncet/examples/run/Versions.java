package org.suncet.examples.run;

import ai.djl.engine.Engine;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The versions a run was made with, recorded in its run folder so a result can be traced to its
 * software: suncet, Java (version and vendor), DJL, and the deep-learning engine (name and version,
 * such as {@code PyTorch 2.7.1}).
 *
 * <p>suncet's version comes from the jar manifest's {@code Implementation-Version} when there is one,
 * otherwise from {@link #SUNCET_VERSION}. An engine that cannot be loaded is recorded as {@code
 * unavailable (reason)} rather than failing the run.
 *
 * @param suncet suncet's version
 * @param java the Java runtime's version and vendor
 * @param djl DJL's version
 * @param engine the default engine's name and version
 */
public record Versions(String suncet, String java, String djl, String engine) {

    /** suncet's version when no jar manifest says otherwise; kept equal to the Maven version. */
    public static final String SUNCET_VERSION = "0.1.0-SNAPSHOT";

    /**
     * The versions of this process.
     *
     * @return the current versions; loads the default engine if it is not loaded yet
     */
    public static Versions current() {
        String manifest = Versions.class.getPackage().getImplementationVersion();
        String java = System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")";
        String engine;
        try {
            Engine instance = Engine.getInstance();
            engine = instance.getEngineName() + " " + instance.getVersion();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            engine = "unavailable (" + e.getMessage() + ")";
        }
        return new Versions(manifest != null ? manifest : SUNCET_VERSION, java, Engine.getDjlVersion(), engine);
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
