"""Sign in through the form, CSRF on cookie requests, bearer tokens, sign out."""


def test_smoke(client, world, login, token_for):
    r = client.get("/")
    assert r.status_code == 200 and "登录" in r.text  # redirected to login
    c = login(world.emails["ent_admin"])
    r = c.get("/api/v1/me")
    assert r.status_code == 200, r.text
    assert r.json()["memberships"][0]["role"] == "admin"
    h = token_for(world.emails["sz_officer"])
    r = client.get("/api/v1/me", headers=h)
    assert r.json()["memberships"][0]["kind"] == "authority"
    # CSRF-less POST with cookie

    r = c.post("/logout", headers={"X-CSRF-Token": "nope"}, follow_redirects=False)
    assert r.status_code == 403, r.text
    r = c.post("/logout", follow_redirects=False)
    assert r.status_code == 303
    assert c.get("/api/v1/me").status_code == 401
