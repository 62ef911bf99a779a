import LandingCore

/// The store worker is how handlers reach the store: queued to its thread, completed from there.
extension StoreWorker: LandingStoreAccess {}
