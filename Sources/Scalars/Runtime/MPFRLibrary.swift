import CMPFR

/// The GNU MPFR library linked at run time.
public enum MPFRLibrary {
  /// Its version as MPFR reports it (`mpfr_get_version`), for example "4.2.0".
  public static var version: String { String(cString: mpfr_get_version()) }
}
