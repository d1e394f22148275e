package org.layerfuse.bert;

/** {@link ThreadCountBitsTest}'s second JVM: trains as the test does and prints "bits &lt;threads&gt; &lt;hash&gt;". */
final class ThreadCountBitsMain {

    private ThreadCountBitsMain() {
    }

    public static void main(String[] args) {
        System.out.println("bits " + ThreadCountBitsTest.trainAndHash());
    }
}
