package dev.jvisor.cpu;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import org.junit.jupiter.api.Test;

/**
 * What the translator does around the ClassFile API: it reads a unit's bytecode length off the class file
 * (the API's own parse is the oracle), and gives the API each unit's maxima instead of having them computed.
 */
class BtClassFileTest {
    /**
     * The test runner exports the ClassFile implementation as the launcher does, so the tests build units the
     * way a run does (with the maxima given; the JVM's verifier then checks them for every unit the tests make).
     */
    @Test
    void unitsAreBuiltWithGivenMaxima() {
        org.junit.jupiter.api.Assertions.assertTrue(BtTranslator.GIVE_MAXS);
    }

    @Test
    void matchesTheClassFileApi() {
        for (int n : new int[] {0, 1, 7, 300, 3000}) {
            byte[] bytes = ClassFile.of().build(ClassDesc.of("dev.jvisor.cpu.BtGen"), cb -> {
                cb.withVersion(ClassFile.JAVA_5_VERSION, 0);
                cb.withField("f", CD_long, ClassFile.ACC_STATIC); // a field with no attributes before the methods
                cb.withMethodBody("run", MethodTypeDesc.of(CD_int, CD_Object), ClassFile.ACC_FINAL, b -> {
                    for (int i = 0; i < n; i++) {
                        // constants of every width: Integer, Long, String and Class entries in the pool
                        b.ldc(0x12345 + i).pop().ldc(1L << 40 | i).pop2().ldc("s" + i).pop().ldc(ClassDesc.of("X" + i)).pop();
                    }
                    b.iconst_0().ireturn();
                });
                cb.withMethodBody("other", MethodTypeDesc.of(CD_void), ClassFile.ACC_STATIC, b -> b.return_());
            });
            assertEquals(apiCodeLength(bytes), BtTranslator.codeLength(bytes), "instructions " + n);
        }
    }

    private static int apiCodeLength(byte[] bytes) {
        ClassModel cm = ClassFile.of().parse(bytes);
        return cm.methods().getFirst().findAttribute(Attributes.code()).map(CodeAttribute::codeLength).orElseThrow();
    }
}
