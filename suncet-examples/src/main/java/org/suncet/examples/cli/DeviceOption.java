package org.suncet.examples.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code --device cpu|gpu[:N]} option of every program that trains or evaluates: where the
 * program's {@code NDManager}, data and network live. {@code gpu} is {@code gpu:0}. A form other
 * than these, or a GPU the engine does not have, is refused with a one-line {@link
 * IllegalArgumentException}.
 */
public final class DeviceOption {

    /** The option's default. */
    public static final String DEFAULT = "cpu";

    /** The option's description in the usage help. */
    public static final String DESCRIPTION = "where to compute: cpu, gpu (= gpu:0) or gpu:N";

    private static final Pattern GPU = Pattern.compile("gpu(?::([0-9]{1,4}))?");

    private DeviceOption() {}

    /**
     * Parses the option's value and checks that the engine has the device.
     *
     * @param text {@code cpu}, {@code gpu} or {@code gpu:N}
     * @return the device
     * @throws IllegalArgumentException for another form or a GPU the engine does not have
     */
    public static Device parse(String text) {
        Device device = parseForm(text);
        if (device.isGpu()) {
            int gpus = Engine.getInstance().getGpuCount();
            if (device.getDeviceId() >= gpus) {
                throw new IllegalArgumentException(
                        "--device " + text + ": the " + Engine.getInstance().getEngineName() + " engine sees "
                                + (gpus == 0 ? "no GPU" : gpus + " GPU(s), gpu:0 to gpu:" + (gpus - 1))
                                + "; use --device cpu");
            }
        }
        return device;
    }

    /**
     * Parses the option's form only, without asking the engine.
     *
     * @param text {@code cpu}, {@code gpu} or {@code gpu:N}
     * @return the device
     * @throws IllegalArgumentException for another form
     */
    static Device parseForm(String text) {
        if ("cpu".equals(text)) {
            return Device.cpu();
        }
        Matcher gpu = text == null ? null : GPU.matcher(text);
        if (gpu == null || !gpu.matches()) {
            throw new IllegalArgumentException("--device expects cpu or gpu[:N], got '" + text + "'");
        }
        return Device.gpu(gpu.group(1) == null ? 0 : Integer.parseInt(gpu.group(1)));
    }
}
