package dev.lbhealth.agent.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * What may reach a rendered LB file. Names and addresses are checked against narrow patterns so
 * that nothing from outside can break or inject HAProxy or nginx configuration.
 */
public final class Names {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");
  private static final Pattern DIGITS_AND_DOTS = Pattern.compile("[0-9.]+");
  private static final Pattern IPV4 =
      Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
  private static final Pattern HOSTNAME =
      Pattern.compile("(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

  public static final String NAME_RULE =
      "1-63 letters, digits, '.', '_' or '-', starting with a letter or digit";

  private Names() {}

  public static boolean isName(String s) {
    return s != null && NAME.matcher(s).matches();
  }

  /** An IPv4 or IPv6 literal, or an RFC 1123 host name. */
  public static boolean isAddress(String s) {
    if (s == null) {
      return false;
    }
    if (s.contains(":")) {
      if (!IPV6_CHARS.matcher(s).matches()) {
        return false;
      }
      try {
        InetAddress.getByName(s); // a literal with ':' is parsed, never looked up
        return true;
      } catch (UnknownHostException e) {
        return false;
      }
    }
    if (DIGITS_AND_DOTS.matcher(s).matches()) {
      return IPV4.matcher(s).matches();
    }
    return HOSTNAME.matcher(s).matches();
  }

  /** An IPv4 or IPv6 literal (not a host name). */
  public static boolean isIpLiteral(String s) {
    return isAddress(s) && (s.contains(":") || IPV4.matcher(s).matches());
  }

  /** At most this many names in one log line or message; the rest are counted. */
  public static final int MAX_LISTED = 10;

  /**
   * Names for a log line or a message, bounded: {@code a, b, c}, or the first {@link #MAX_LISTED}
   * and {@code ... and 1990 more}. A line about 5,000 nodes stays one short line.
   */
  public static String listed(java.util.Collection<String> names) {
    if (names.size() <= MAX_LISTED) {
      return String.join(", ", names);
    }
    return String.join(", ", names.stream().limit(MAX_LISTED).toList()) + " and " + (names.size() - MAX_LISTED) + " more";
  }

  /** A value as error messages quote it: at most 80 characters. */
  public static String cut(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }

  /** host:port as the LB writes it; IPv6 literals go in brackets. */
  public static String hostPort(String address, int port) {
    return (address.contains(":") ? "[" + address + "]" : address) + ":" + port;
  }
}
