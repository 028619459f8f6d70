package dev.jvisor.boot;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The modules to load for a set of root modules and the order to load them in: the roots and
 * everything they need through {@code depends=}, each module after all of its dependencies
 * (depth-first post-order, roots and dependencies visited in the order given, so the result is
 * deterministic). Names are compared with {@link ModuleInfo#key}.
 */
public final class ModuleLoadOrder {
    private ModuleLoadOrder() {}

    /**
     * @param roots   the modules wanted
     * @param depends every available module (by {@link ModuleInfo#key}) to its depends= names
     * @param source  names the module source in errors (e.g. the package file)
     * @return the module keys, dependencies first
     */
    public static List<String> resolve(List<String> roots, Map<String, List<String>> depends, String source)
            throws BootException {
        Set<String> done = new LinkedHashSet<>();
        for (String r : roots) {
            visit(ModuleInfo.key(r), null, depends, source, done, new LinkedHashSet<>());
        }
        return new ArrayList<>(done);
    }

    private static void visit(String m, String parent, Map<String, List<String>> depends, String source,
            Set<String> done, Set<String> path) throws BootException {
        if (done.contains(m)) {
            return;
        }
        if (!path.add(m)) {
            throw new BootException(source + ": module dependency cycle: " + String.join(" -> ", path) + " -> " + m);
        }
        List<String> deps = depends.get(m);
        if (deps == null) {
            throw new BootException(source + ": module " + m
                    + (parent == null ? "" : " (needed by " + parent + ")") + " is missing");
        }
        for (String d : deps) {
            visit(ModuleInfo.key(d), m, depends, source, done, path);
        }
        path.remove(m);
        done.add(m);
    }
}
