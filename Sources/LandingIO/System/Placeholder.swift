import COpenSSL
import CLinux
import LandingCore
