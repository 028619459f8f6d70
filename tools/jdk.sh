# Sourced by the launchers: pick JDK 25 (the default java here is 17).
# The version comes from the JDK's `release` file, not from `java -version`: starting a JVM just to
# ask its version cost 0.2-0.5 s of every `./jvisor run`.
jdk_is_25() { [ -x "$1/bin/java" ] && grep -q '^JAVA_VERSION="25' "$1/release" 2>/dev/null; }
if [ -z "${JAVA_HOME:-}" ] || ! jdk_is_25 "$JAVA_HOME"; then
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64; do
    if jdk_is_25 "$d"; then export JAVA_HOME="$d"; break; fi
  done
fi
if [ -z "${JAVA_HOME:-}" ] || ! jdk_is_25 "$JAVA_HOME"; then
  echo "jvisor: JDK 25 not found (looked in /usr/lib/jvm); set JAVA_HOME to a JDK 25" >&2
  exit 1
fi
export PATH="$JAVA_HOME/bin:$PATH"
