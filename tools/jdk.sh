# Sourced by the launchers: pick JDK 25 (the default java here is 17).
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q '"25'; then
  for d in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/java-25-openjdk-amd64; do
    if [ -x "$d/bin/java" ]; then export JAVA_HOME="$d"; break; fi
  done
fi
if [ -z "${JAVA_HOME:-}" ] || ! "$JAVA_HOME/bin/java" -version 2>&1 | grep -q '"25'; then
  echo "jvisor: JDK 25 not found (looked in /usr/lib/jvm); set JAVA_HOME to a JDK 25" >&2
  exit 1
fi
export PATH="$JAVA_HOME/bin:$PATH"
