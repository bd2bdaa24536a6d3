<?php
if (isset($_GET['dump'])) { header('Content-Type: text/html'); echo "<pre>"; print_r(array_intersect_key($_SERVER, array_flip(['HTTP_AUTHORIZATION','PHP_AUTH_USER','PHP_AUTH_PW','HTTP_COOKIE','HTTP_HOST','DB_PASSWORD']))); echo "</pre>"; var_dump($_COOKIE); exit; }
phpinfo();
