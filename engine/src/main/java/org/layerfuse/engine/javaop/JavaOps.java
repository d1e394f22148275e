package org.layerfuse.engine.javaop;

import java.lang.reflect.Field;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import org.nd4j.imports.converters.ImportClassMapping;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.CustomOp;
import org.nd4j.linalg.api.ops.OpContext;
import org.nd4j.linalg.api.ops.executioner.OpExecutioner;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lets SameDiff run {@link JavaOp}s: ND4J's executioner (one per JVM, {@code Nd4j.getExecutioner()})
 * is wrapped once in a proxy that hands a {@code JavaOp} to its own {@link JavaOp#compute} and
 * every other call to the original executioner unchanged. SameDiff executes each op through
 * {@code Nd4j.exec(op, context)} and asks the op itself for its output shapes, so this is the one
 * place a Java op has to be routed.
 *
 * <p>CPU backend only (the ops read host memory); {@link #available()} is false on CUDA or when
 * the executioner could not be wrapped, and graphs then use libnd4j's ops.
 * {@code -Dlayerfuse.javaOps=false} turns them off.
 */
public final class JavaOps {

    private static final Logger LOG = LoggerFactory.getLogger(JavaOps.class);
    private static volatile Boolean available;

    private JavaOps() {
    }

    /** Whether graphs may use {@link JavaOp}s (installs the routing on first call). */
    public static boolean available() {
        Boolean a = available;
        if (a == null) {
            synchronized (JavaOps.class) {
                a = available;
                if (a == null) {
                    a = install();
                    available = a;
                }
            }
        }
        return a;
    }

    /**
     * Makes an op class known to SameDiff's op registry by its name, so that a graph holding it
     * can be copied (SameDiff clones every op through its serialized form when it builds the
     * gradient function, and looks the class up by name). Call from the op class's static
     * initializer with a prototype made by its public no-argument constructor.
     */
    public static synchronized void register(JavaOp prototype) {
        ImportClassMapping.getOpNameMapping().putIfAbsent(prototype.opName(), prototype);
    }

    private static boolean install() {
        if (!Boolean.parseBoolean(System.getProperty("layerfuse.javaOps", "true"))) {
            LOG.info("Java graph ops off (-Dlayerfuse.javaOps=false): graphs use libnd4j's ops");
            return false;
        }
        OpExecutioner original = Nd4j.getExecutioner();
        if (Proxy.isProxyClass(original.getClass()) && Proxy.getInvocationHandler(original) instanceof Router) {
            return true;
        }
        if (!original.getClass().getName().contains("nativecpu")) {
            LOG.info("Java graph ops off on {}: graphs use libnd4j's ops", original.getClass().getSimpleName());
            return false;
        }
        try {
            Field field = Nd4j.class.getDeclaredField("OP_EXECUTIONER_INSTANCE");
            field.setAccessible(true);
            OpExecutioner routed = (OpExecutioner) Proxy.newProxyInstance(JavaOps.class.getClassLoader(),
                    new Class<?>[]{OpExecutioner.class}, new Router(original));
            field.set(null, routed);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("Java graph ops unavailable ({}): graphs use libnd4j's ops", e.toString());
            return false;
        }
    }

    private record Router(OpExecutioner target) implements InvocationHandler {
        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            if (args != null && args.length >= 1 && args[0] instanceof JavaOp op) {
                String m = method.getName();
                if (m.equals("exec") && args.length == 2 && args[1] instanceof OpContext context) {
                    return op.run(context.getInputArrays(), context.getOutputArrays());
                }
                if (m.equals("exec") && args.length == 1) {
                    INDArray[] out = op.run(op.inputArguments(), op.outputArguments());
                    for (int i = 0; i < out.length; i++) {
                        if (op.outputArguments().size() <= i) {
                            op.addOutputArgument(out[i]);
                        }
                    }
                    return out;
                }
                if (m.equals("calculateOutputShape")) {
                    return args.length == 2 && args[1] instanceof OpContext c
                            ? op.calculateOutputShape(c) : op.calculateOutputShape();
                }
            }
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }
}
