import LandingCore
import LandingIO
print("oauth-landing")
