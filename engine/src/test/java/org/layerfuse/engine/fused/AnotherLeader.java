package org.layerfuse.engine.fused;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.function.Executable;

/** For tests: runs a body on the calling thread while another thread holds the team's lead. */
final class AnotherLeader {

    private AnotherLeader() {
    }

    /** Starts a thread that enters (and leads) the team, runs {@code body} here, then lets it leave and joins it. */
    static void whileLeading(Executable body) throws Throwable {
        CountDownLatch led = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        Thread leader = new Thread(() -> {
            try (Team.Scope s = Team.enter()) {
                led.countDown();
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        leader.start();
        led.await();
        try {
            body.execute();
        } finally {
            done.countDown();
            leader.join();
        }
    }
}
