package org.layerfuse.prune.study;

import java.nio.file.Path;

/** A separate JVM that takes a cell's lock, says so on stdout, and keeps it until it is killed. */
public final class CellLockHolder {

    private CellLockHolder() {
    }

    public static void main(String[] args) throws Exception {
        CellLock lock = CellLock.acquire(Path.of(args[0]), "holder pid " + ProcessHandle.current().pid());
        System.out.println("held");
        System.out.flush();
        Thread.sleep(600_000);
        lock.close();
    }
}
