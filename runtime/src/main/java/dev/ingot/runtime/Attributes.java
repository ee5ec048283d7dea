package dev.ingot.runtime;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * An op's attributes: an immutable map from name to a value of type float, double, int, long, boolean, String or
 * float[] (arrays are copied in and out). Typed getters take a default for absent names; a present value of the
 * wrong type is an {@link IllegalArgumentException}. Numbers widen where no precision is lost the other way round
 * (an int reads as long, float or double; a float reads as double; a double reads as float by rounding).
 * Immutable and thread-safe.
 *
 * @param values the name-to-value map (copied)
 */
public record Attributes(Map<String, Object> values) {

    private static final Attributes EMPTY = new Attributes(Map.of());

    /**
     * Checks the names and values and keeps a copy of them (arrays copied).
     *
     * @throws IllegalArgumentException for a null name or a value of an unsupported type
     */
    public Attributes {
        Map<String, Object> copy = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : values.entrySet()) {
            copy.put(checkName(e.getKey()), checkValue(e.getKey(), e.getValue()));
        }
        values = Collections.unmodifiableMap(copy);
    }

    /**
     * No attributes.
     *
     * @return the empty attributes
     */
    public static Attributes empty() {
        return EMPTY;
    }

    /**
     * Attributes from alternating names and values: {@code of("eps", 1e-5, "inPlace", true)}.
     *
     * @param namesAndValues names (String) alternating with their values
     * @return the attributes
     */
    public static Attributes of(Object... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("namesAndValues: expected name/value pairs, got "
                    + namesAndValues.length + " items");
        }
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            if (!(namesAndValues[i] instanceof String name)) {
                throw new IllegalArgumentException("namesAndValues[" + i + "]: expected a String name, got "
                        + namesAndValues[i]);
            }
            map.put(name, namesAndValues[i + 1]);
        }
        return new Attributes(map);
    }

    /**
     * A builder for attributes.
     *
     * @return a builder for attributes
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The names present.
     *
     * @return the names present
     */
    public Set<String> names() {
        return values.keySet();
    }

    /**
     * True when {@code name} is present.
     *
     * @param name the attribute's name
     * @return true when {@code name} is present
     */
    public boolean has(String name) {
        return values.containsKey(name);
    }

    /**
     * A double attribute (float, int and long values widen).
     *
     * @param name the attribute's name
     * @param defaultValue the value returned when {@code name} is absent
     * @return the value, or {@code defaultValue} when absent
     */
    public double getDouble(String name, double defaultValue) {
        Object v = values.get(name);
        return v == null ? defaultValue : number(name, v, "double").doubleValue();
    }

    /**
     * A float attribute (a double value is rounded to float; int values convert).
     *
     * @param name the attribute's name
     * @param defaultValue the value returned when {@code name} is absent
     * @return the value, or {@code defaultValue} when absent
     */
    public float getFloat(String name, float defaultValue) {
        Object v = values.get(name);
        return v == null ? defaultValue : number(name, v, "float").floatValue();
    }

    /**
     * A long attribute (int values widen).
     *
     * @param name the attribute's name
     * @param defaultValue the value returned when {@code name} is absent
     * @return the value, or {@code defaultValue} when absent
     */
    public long getLong(String name, long defaultValue) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Integer || v instanceof Long) {
            return ((Number) v).longValue();
        }
        throw wrongType(name, v, "long");
    }

    /**
     * An int attribute (a long value within int range converts).
     *
     * @param name the attribute's name
     * @param defaultValue the value returned when {@code name} is absent
     * @return the value, or {@code defaultValue} when absent
     */
    public int getInt(String name, int defaultValue) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Integer i) {
            return i;
        }
        if (v instanceof Long l && l == (int) (long) l) {
            return (int) (long) l;
        }
        throw wrongType(name, v, "int");
    }

    /**
     * A boolean attribute.
     *
     * @param name the attribute's name
     * @param defaultValue the value returned when {@code name} is absent
     * @return the value, or {@code defaultValue} when absent
     */
    public boolean getBoolean(String name, boolean defaultValue) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw wrongType(name, v, "boolean");
    }

    /**
     * A String attribute.
     *
     * @param name the attribute's name
     * @param defaultValue the value returned when {@code name} is absent
     * @return the value, or {@code defaultValue} when absent
     */
    public String getString(String name, String defaultValue) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof String s) {
            return s;
        }
        throw wrongType(name, v, "String");
    }

    /**
     * A float[] attribute (a copy); {@code defaultValue} is returned as is when absent.
     *
     * @param name the attribute's name
     * @param defaultValue the value returned when {@code name} is absent
     * @return a copy of the value, or {@code defaultValue} when absent
     */
    public float[] getFloatArray(String name, float[] defaultValue) {
        Object v = values.get(name);
        if (v == null) {
            return defaultValue;
        }
        if (v instanceof float[] a) {
            return a.clone();
        }
        throw wrongType(name, v, "float[]");
    }

    /**
     * A copy with {@code name} set to {@code value}.
     *
     * @param name the attribute's name
     * @param value the value: float, double, int, long, boolean, String or float[]
     * @return a copy with {@code name} set to {@code value}
     */
    public Attributes with(String name, Object value) {
        Map<String, Object> map = new LinkedHashMap<>(values);
        map.put(name, value);
        return new Attributes(map);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Attributes other) || !values.keySet().equals(other.values.keySet())) {
            return false;
        }
        for (Map.Entry<String, Object> e : values.entrySet()) {
            Object mine = e.getValue();
            Object theirs = other.values.get(e.getKey());
            boolean same = mine instanceof float[] a && theirs instanceof float[] b ? Arrays.equals(a, b)
                    : mine.equals(theirs);
            if (!same) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        int h = 0;
        for (Map.Entry<String, Object> e : values.entrySet()) {
            Object v = e.getValue();
            h += e.getKey().hashCode() ^ (v instanceof float[] a ? Arrays.hashCode(a) : v.hashCode());
        }
        return h;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (Map.Entry<String, Object> e : values.entrySet()) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            Object v = e.getValue();
            sb.append(e.getKey()).append('=').append(v instanceof float[] a ? Arrays.toString(a) : v);
        }
        return sb.append('}').toString();
    }

    /**
     * An unmodifiable copy of the map (arrays copied).
     *
     * @return an unmodifiable copy of the map (arrays copied)
     */
    @Override
    public Map<String, Object> values() {
        Map<String, Object> copy = new LinkedHashMap<>();
        values.forEach((k, v) -> copy.put(k, v instanceof float[] a ? a.clone() : v));
        return Collections.unmodifiableMap(copy);
    }

    private static String checkName(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("name: expected a non-empty attribute name, got " + name);
        }
        return name;
    }

    private static Object checkValue(String name, Object value) {
        return switch (value) {
            case Float f -> f;
            case Double d -> d;
            case Integer i -> i;
            case Long l -> l;
            case Boolean b -> b;
            case String s -> s;
            case float[] a -> a.clone();
            case null -> throw new IllegalArgumentException("attribute '" + name + "': expected a value, got null");
            default -> throw new IllegalArgumentException("attribute '" + name + "': expected float, double, int,"
                    + " long, boolean, String or float[], got " + value.getClass().getSimpleName());
        };
    }

    private static Number number(String name, Object v, String wanted) {
        if (v instanceof Float || v instanceof Double || v instanceof Integer || v instanceof Long) {
            return (Number) v;
        }
        throw wrongType(name, v, wanted);
    }

    private static IllegalArgumentException wrongType(String name, Object v, String wanted) {
        return new IllegalArgumentException("attribute '" + name + "': expected " + wanted + ", got "
                + v.getClass().getSimpleName() + " " + (v instanceof float[] a ? Arrays.toString(a) : v));
    }

    /** Collects attributes; not thread-safe. */
    public static final class Builder {
        private final Map<String, Object> map = new LinkedHashMap<>();

        private Builder() {
        }

        /**
         * Sets a value (float, double, int, long, boolean, String or float[]).
         *
         * @param name the attribute's name
         * @param value the value: float, double, int, long, boolean, String or float[]
         * @return this builder
         */
        public Builder put(String name, Object value) {
            map.put(checkName(name), checkValue(name, value));
            return this;
        }

        /**
         * The attributes collected so far.
         *
         * @return the attributes collected so far
         */
        public Attributes build() {
            return new Attributes(map);
        }
    }
}
