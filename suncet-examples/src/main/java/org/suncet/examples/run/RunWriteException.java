package org.suncet.examples.run;

import java.io.IOException;

/**
 * A training run could not write one of its files (the disk is full, a folder became read-only):
 * the message is one line that names the file, the cause, and what the run kept (its last complete
 * checkpoint, which {@code --resume} continues from, or that nothing was saved). The {@code suncet}
 * program prints it as {@code error: MESSAGE} with exit code 1.
 */
public final class RunWriteException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message one line: the file, the cause, what was kept
     * @param cause the failed write
     */
    public RunWriteException(String message, IOException cause) {
        super(message, cause);
    }
}
